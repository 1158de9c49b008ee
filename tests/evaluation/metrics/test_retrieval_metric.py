import numpy as np
import torch
from mmpretrain.evaluation import RetrievalRecall

from semmim.evaluation.metrics import RetrievalRecallMetric
from semmim.evaluation.metrics.retrieval_metric import (best_positive_rank,
                                                        chance_recall_i2t)


def naive_recall(scores, positives, k):
    hits = []
    for row, pos in zip(scores.tolist(), positives):
        # stable: sort by (-score, index)
        order = sorted(range(len(row)), key=lambda c: (-row[c], c))
        hits.append(any(c in pos for c in order[:k]))
    return 100 * sum(hits) / len(hits)


def test_hand_worked_ranks_with_ties():
    scores = torch.tensor([
        [0.5, 0.9, 0.9, 0.1],  # positive 2 ties with 1: 1 ranks first
        [0.2, 0.2, 0.2, 0.2],  # all tied: positive 3 ranks last
        [0.0, 0.3, 0.1, 0.7],  # positives 0 and 2: best is 2 at rank 2
    ])
    ranks = best_positive_rank(scores, [[2], [3], [0, 2]])
    assert ranks.tolist() == [1, 3, 2]
    metric = RetrievalRecallMetric(topk=(1, 2, 3), report_chance=False)
    out = metric.compute_scores(scores, scores.t(), [[2], [3], [0, 2]],
                                [0, 0, 2, 1])
    assert out['tr_r1'] == 0.0
    np.testing.assert_allclose(out['tr_r2'], 100 / 3)
    np.testing.assert_allclose(out['tr_r3'], 200 / 3)


def test_matches_naive_and_mmpretrain_without_ties():
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(30, 80, generator=g)
    positives = [sorted(torch.randperm(80, generator=g)[:3].tolist())
                 for _ in range(30)]
    ranks = best_positive_rank(scores, positives, chunk=7)
    ours = [float((ranks < k).float().mean() * 100) for k in (1, 5, 10)]
    ref = RetrievalRecall.calculate(scores, positives, topk=(1, 5, 10),
                                    target_indices=True)
    np.testing.assert_allclose(ours, [float(r) for r in ref], atol=1e-4)
    np.testing.assert_allclose(
        ours, [naive_recall(scores, positives, k) for k in (1, 5, 10)])
    tied = scores.round(decimals=0)  # many ties
    ranks = best_positive_rank(tied, positives)
    np.testing.assert_allclose(
        [float((ranks < k).float().mean() * 100) for k in (1, 5, 10)],
        [naive_recall(tied, positives, k) for k in (1, 5, 10)])


def test_chance_levels():
    np.testing.assert_allclose(chance_recall_i2t(100, [1, 1], 5), 5.0)
    np.testing.assert_allclose(chance_recall_i2t(10, [5], 10), 100.0)
    # 2 positives of 4, top 1: 1/2; top 2: 1 - (2/4)(1/3) = 5/6
    np.testing.assert_allclose(chance_recall_i2t(4, [2], 2), 500 / 6)
    metric = RetrievalRecallMetric(topk=(1, ))
    out = metric.compute_scores(torch.eye(4), torch.eye(4), [[0], [1], [2],
                                                             [3]],
                                [0, 1, 2, 3])
    assert out['tr_r1'] == out['ir_r1'] == out['r_mean'] == 100.0
    assert out['chance_ir_r1'] == 25.0
