"""COCO caption metrics (BLEU, METEOR, ROUGE-L, CIDEr, SPICE), overall and
per NoCaps domain, optionally next to a trivial baseline."""
import json
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from semmim.registry import METRICS
from .coco_eval_tools import ALL_METRICS, evaluate_captions

#: pycocoevalcap's score names -> the names reported here
REPORT_NAMES = {
    'Bleu_1': 'BLEU_1', 'Bleu_2': 'BLEU_2', 'Bleu_3': 'BLEU_3',
    'Bleu_4': 'BLEU_4', 'METEOR': 'METEOR', 'ROUGE_L': 'ROUGE_L',
    'CIDEr': 'CIDEr', 'SPICE': 'SPICE'
}


def load_references(ann_file: str):
    """References and domains of a COCO-format caption file.

    Returns:
        tuple: ``({image_id: [caption, ...]}, {image_id: domain})``; the
        second is empty when images have no ``domain`` field (NoCaps has).
    """
    with open(ann_file, 'r', encoding='utf-8') as f:
        content = json.load(f)
    if not isinstance(content, dict) or 'annotations' not in content:
        raise ValueError(f'{ann_file}: expected a COCO caption file (an '
                         'object with "images" and "annotations")')
    refs = defaultdict(list)
    for i, ann in enumerate(content['annotations']):
        if 'image_id' not in ann or 'caption' not in ann:
            raise ValueError(f'{ann_file}: annotation {i}: needs "image_id" '
                             'and "caption"')
        refs[ann['image_id']].append(ann['caption'])
    domains = {img['id']: img['domain'] for img in content.get('images', [])
               if 'domain' in img}
    return dict(refs), domains


def most_frequent_caption(ann_file: str) -> str:
    """The most frequent caption of a training annotation file (Karpathy
    list or COCO format); ties go to the first seen."""
    with open(ann_file, 'r', encoding='utf-8') as f:
        content = json.load(f)
    if isinstance(content, dict):
        captions = [a['caption'] for a in content['annotations']]
    else:
        captions = []
        for e in content:
            c = e['caption']
            captions.extend([c] if isinstance(c, str) else c)
    counts = Counter(c.strip().lower() for c in captions)
    return counts.most_common(1)[0][0]


@METRICS.register_module()
class COCOCaptionMetric(BaseMetric):
    """Caption scores of the COCO evaluation toolkit (pycocoevalcap).

    Predictions are the ``pred_caption`` of each data sample, keyed by its
    ``image_id`` (which must match the ids of ``ann_file``); one prediction
    per image is kept (a distributed sampler may repeat samples). Scores
    are reported in percent (CIDEr x 100, as in papers): ``BLEU_1`` ..
    ``BLEU_4``, ``METEOR``, ``ROUGE_L``, ``CIDEr`` and ``SPICE``.
    See :mod:`semmim.evaluation.metrics.coco_eval_tools` for what happens
    without Java or without SPICE's CoreNLP jars (skipped with one line;
    the other metrics are still reported) and for read-only installs.

    NoCaps: when images have a ``domain`` (from the annotation file's
    ``images``, else from the data samples), scores are also reported per
    domain as ``<domain>/<metric>`` (``in-domain``, ``near-domain``,
    ``out-domain``). Each domain is scored as its own set of images, so
    CIDEr's document frequencies come from that domain's references.

    Baseline: with ``baseline_ann_file`` (training captions), the most
    frequent training caption is also scored as the prediction for every
    image, reported as ``baseline/<metric>`` and logged next to the model's.

    Args:
        ann_file (str): COCO-format ground truth (``images``,
            ``annotations`` with ``image_id`` and ``caption``).
        metrics (Sequence[str]): Subset of ``('BLEU', 'METEOR', 'ROUGE_L',
            'CIDEr', 'SPICE')``. Defaults to all.
        baseline_ann_file (str, optional): Training annotations for the
            most-frequent-caption baseline. Defaults to None.
        require_all_images (bool): Fail when a ground-truth image has no
            prediction (otherwise score the predicted subset and warn).
            Defaults to True.
        spice_cache_dir (str, optional): Writable folder for SPICE's cache.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'caption'.
    """

    default_prefix = 'caption'

    def __init__(self,
                 ann_file: str,
                 metrics: Sequence[str] = ALL_METRICS,
                 baseline_ann_file: Optional[str] = None,
                 require_all_images: bool = True,
                 spice_cache_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        unknown = set(metrics) - set(ALL_METRICS)
        if unknown:
            raise ValueError(f'unknown caption metrics {sorted(unknown)}; '
                             f'choose from {ALL_METRICS}')
        self.ann_file = ann_file
        self.metrics = tuple(metrics)
        self.baseline_ann_file = baseline_ann_file
        self.require_all_images = require_all_images
        self.spice_cache_dir = spice_cache_dir

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if sample.get('pred_caption') is None:
                raise KeyError('COCOCaptionMetric needs data samples with '
                               '"pred_caption" (a caption model in predict '
                               'mode)')
            self.results.append(
                dict(image_id=int(sample['image_id']),
                     caption=str(sample['pred_caption']),
                     domain=sample.get('domain')))

    # ------------------------------------------------------------------
    def score(self, predictions: Dict[int, str],
              references: Dict[int, List[str]],
              domains: Dict[int, str]) -> Dict[str, float]:
        """Scores (percent) of ``{image_id: caption}``, overall and per
        domain."""
        log = MMLogger.get_current_instance().warning
        out = {}
        groups = {None: sorted(predictions)}
        for d in sorted(set(domains.get(i) for i in predictions) - {None}):
            groups[d] = [i for i in sorted(predictions) if domains.get(i) == d]
        for domain, ids in groups.items():
            scores, _ = evaluate_captions(
                {i: references[i] for i in ids},
                {i: [predictions[i]] for i in ids},
                metrics=self.metrics,
                spice_cache_dir=self.spice_cache_dir,
                log=log)
            for name, value in scores.items():
                key = REPORT_NAMES[name]
                out[key if domain is None else f'{domain}/{key}'] = \
                    value * 100
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        references, domains = load_references(self.ann_file)
        predictions, sample_domains = {}, {}
        for r in results:
            predictions.setdefault(r['image_id'], r['caption'])
            if r.get('domain'):
                sample_domains[r['image_id']] = r['domain']
        domains = domains or sample_domains
        unknown = set(predictions) - set(references)
        if unknown:
            raise ValueError(
                f'{len(unknown)} predicted image ids are not in '
                f'{self.ann_file} (e.g. {sorted(unknown)[:3]}): the '
                'dataset\'s image ids must be those of the ground truth')
        missing = set(references) - set(predictions)
        if missing:
            msg = (f'{len(missing)} of {len(references)} images of '
                   f'{self.ann_file} have no prediction')
            if self.require_all_images:
                raise ValueError(msg + ' (set require_all_images=False to '
                                 'score a subset)')
            MMLogger.get_current_instance().warning(msg + '; scoring the '
                                                    'predicted ones')
        out = self.score(predictions, references, domains)
        if self.baseline_ann_file:
            caption = most_frequent_caption(self.baseline_ann_file)
            base = self.score({i: caption for i in predictions}, references,
                              domains)
            out.update({f'baseline/{k}': v for k, v in base.items()})
            MMLogger.get_current_instance().info(
                self.comparison_table(out, caption))
        return out

    @staticmethod
    def comparison_table(scores: Dict[str, float], caption: str) -> str:
        """The model's scores next to the baseline's, one metric a line."""
        lines = [f'caption metrics (percent) vs. the most frequent training '
                 f'caption ("{caption}") for every image:',
                 f'{"metric":<24}{"model":>10}{"baseline":>10}']
        for k, v in scores.items():
            if k.startswith('baseline/'):
                continue
            b = scores.get(f'baseline/{k}')
            lines.append(f'{k:<24}{v:>10.2f}' +
                         (f'{b:>10.2f}' if b is not None else ''))
        return '\n'.join(lines)
