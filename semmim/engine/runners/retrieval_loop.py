"""Evaluation loops for two-stage retrieval."""
from collections import defaultdict
from typing import Dict

import torch
from mmengine import dist
from mmengine.runner import TestLoop, ValLoop, autocast

from semmim.models.utils.distributed import all_gather_variable
from semmim.registry import LOOPS
from ..hooks.momentum_update_hook import unwrap


def _ordered(feats: Dict[str, torch.Tensor], idx_key: str,
             keys) -> Dict[str, torch.Tensor]:
    """Put gathered rows in dataset order and drop the duplicates that the
    distributed sampler adds to make shards equal."""
    idx = feats[idx_key]
    order = torch.argsort(idx, stable=True)
    keep = torch.ones_like(order, dtype=torch.bool)
    keep[1:] = idx[order][1:] != idx[order][:-1]
    order = order[keep]
    return {k: feats[k][order] for k in keys if k in feats}


class _TwoStageRetrievalMixin:
    """Extract features shard by shard, gather them, score everything with
    the model's ``predict_all`` and compute the metrics."""

    stage = 'test'

    def run(self) -> dict:
        runner = self.runner
        runner.call_hook(f'before_{self.stage}')
        runner.call_hook(f'before_{self.stage}_epoch')
        model = unwrap(runner.model)
        model.eval()
        parts = defaultdict(list)
        for idx, data_batch in enumerate(self.dataloader):
            runner.call_hook(
                f'before_{self.stage}_iter', batch_idx=idx,
                data_batch=data_batch)
            with torch.no_grad(), autocast(enabled=self.fp16):
                data = model.data_preprocessor(data_batch, False)
                feats = model(**data, mode='tensor')
            for k, v in feats.items():
                parts[k].append(v)
            runner.call_hook(
                f'after_{self.stage}_iter', batch_idx=idx,
                data_batch=data_batch, outputs=None)
        feats = {}
        for k, v in parts.items():
            v = torch.cat(v)
            device = next(model.parameters()).device
            feats[k] = all_gather_variable(v.to(device))
        feats = {
            **_ordered(feats, 'image_idx',
                       ('image_feat', 'image_embeds', 'image_idx')),
            **_ordered(feats, 'text_idx',
                       ('text_feat', 'text_embeds', 'text_mask', 'text_idx'))
        }
        dataset = self.dataloader.dataset
        if len(feats['image_idx']) != dataset.img_size or len(
                feats['text_idx']) != dataset.text_size:
            raise RuntimeError(
                f'extracted {len(feats["image_idx"])} images / '
                f'{len(feats["text_idx"])} texts, the dataset has '
                f'{dataset.img_size} / {dataset.text_size}')
        with torch.no_grad():
            score_i2t, score_t2i = model.predict_all(feats)
        result = dict(
            score_i2t=score_i2t.cpu(),
            score_t2i=score_t2i.cpu(),
            img2txt=dataset.img2txt,
            txt2img=dataset.txt2img)
        metrics = {}
        for metric in self.evaluator.metrics:
            if hasattr(metric, 'compute_scores'):
                values = metric.compute_scores(
                    result['score_i2t'], result['score_t2i'],
                    result['img2txt'], result['txt2img'])
                prefix = metric.prefix or ''
                metrics.update({(f'{prefix}/{k}' if prefix else k): v
                                for k, v in values.items()})
            else:  # e.g. DumpResults for --out: rank 0 holds the result
                if dist.get_rank() == 0:
                    metric.process(None, [result])
                metrics.update(metric.evaluate(1))
        runner.call_hook(f'after_{self.stage}_epoch', metrics=metrics)
        runner.call_hook(f'after_{self.stage}')
        return metrics


@LOOPS.register_module()
class TwoStageRetrievalValLoop(_TwoStageRetrievalMixin, ValLoop):
    """Validation loop of :class:`SemMIMRetrieval` (see the test loop)."""
    stage = 'val'


@LOOPS.register_module()
class TwoStageRetrievalTestLoop(_TwoStageRetrievalMixin, TestLoop):
    """Test loop of :class:`SemMIMRetrieval`: features of every image and
    caption (each rank its shard), then ``model.predict_all`` on the whole
    set, then the metrics (``RetrievalRecallMetric``)."""
    stage = 'test'
