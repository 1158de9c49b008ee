"""Recall@K of image-to-text (TR) and text-to-image (IR) retrieval."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from semmim.registry import METRICS


def chance_recall_i2t(num_texts: int, num_pos: Sequence[int],
                      k: int) -> float:
    """Expected R@k of a random ranking of ``num_texts`` texts when image
    ``i`` has ``num_pos[i]`` true captions: ``1 - C(T-n, k) / C(T, k)``."""
    out = []
    for n in num_pos:
        p_none = 1.0
        for j in range(k):
            p_none *= max(0.0, (num_texts - n - j) / (num_texts - j))
        out.append(1 - p_none)
    return float(np.mean(out)) * 100


def best_positive_rank(scores: torch.Tensor, positives: List[List[int]],
                       chunk: int = 256) -> torch.Tensor:
    """0-based rank of the best-ranked positive of each query.

    Candidates are sorted by descending score; ties keep index order (a
    candidate with a lower index ranks first), so results do not depend on
    the sort implementation.

    Args:
        scores (Tensor): ``(Q, C)``.
        positives (list[list[int]]): Positive candidate indices per query.
        chunk (int): Queries ranked at once (bounds memory).

    Returns:
        Tensor: ``(Q,)`` ranks.
    """
    Q, C = scores.shape
    ranks = torch.empty(Q, dtype=torch.long)
    for start in range(0, Q, chunk):
        block = scores[start:start + chunk].float().cpu()
        order = torch.argsort(-block, dim=1, stable=True)
        rank_of = torch.empty_like(order)
        rank_of.scatter_(1, order,
                         torch.arange(C).expand_as(order).contiguous())
        for i in range(block.shape[0]):
            pos = torch.as_tensor(positives[start + i], dtype=torch.long)
            ranks[start + i] = rank_of[i, pos].min()
    return ranks


@METRICS.register_module()
class RetrievalRecallMetric(BaseMetric):
    """TR/IR Recall@K from full score matrices, and their mean.

    Used by :class:`~semmim.engine.runners.TwoStageRetrievalTestLoop`, which
    calls :meth:`compute_scores` with the image-to-text and text-to-image
    score matrices. Recall@K of a query is 1 when one of its positives ranks
    in the top K (ties keep index order, see :func:`best_positive_rank`;
    without ties it equals mmpretrain's ``RetrievalRecall``). Reports
    ``tr_r{k}``, ``ir_r{k}``, ``r_mean`` (mean of all six, as ALBEF) and,
    for reference, the recall of a random ranking
    ``chance_tr_r{k}``/``chance_ir_r{k}``.

    Args:
        topk (Sequence[int]): Defaults to (1, 5, 10).
        report_chance (bool): Add the chance levels. Defaults to True.
    """

    default_prefix = 'retrieval'

    def __init__(self, topk: Sequence[int] = (1, 5, 10),
                 report_chance: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)
        self.report_chance = report_chance

    def compute_scores(self, score_i2t: torch.Tensor,
                       score_t2i: torch.Tensor, img2txt: List[List[int]],
                       txt2img: List[int]) -> Dict[str, float]:
        """Args:
            score_i2t (Tensor): ``(I, T)`` higher = better.
            score_t2i (Tensor): ``(T, I)``.
            img2txt (list[list[int]]): True captions of each image.
            txt2img (list[int]): True image of each caption.
        """
        rank_tr = best_positive_rank(score_i2t, img2txt)
        rank_ir = best_positive_rank(score_t2i, [[i] for i in txt2img])
        out = {}
        for k in self.topk:
            out[f'tr_r{k}'] = float((rank_tr < k).float().mean() * 100)
            out[f'ir_r{k}'] = float((rank_ir < k).float().mean() * 100)
        out['r_mean'] = float(np.mean([out[f'tr_r{k}'] for k in self.topk] +
                                      [out[f'ir_r{k}'] for k in self.topk]))
        if self.report_chance:
            num_pos = [len(t) for t in img2txt]
            num_images, num_texts = score_i2t.shape
            for k in self.topk:
                out[f'chance_tr_r{k}'] = chance_recall_i2t(
                    num_texts, num_pos, k)
                out[f'chance_ir_r{k}'] = min(1.0, k / num_images) * 100
        return out

    # the standard metric interface (a results list of score dicts)
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        r = results[0]
        return self.compute_scores(r['score_i2t'], r['score_t2i'],
                                   r['img2txt'], r['txt2img'])
