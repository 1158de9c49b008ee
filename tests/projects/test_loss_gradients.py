"""Per-loss gradients against autograd on the summed loss (the Shapes-VL
code-purity study's ``shapes_vl_study.loss_gradients``)."""
import os.path as osp
import sys

import pytest
import torch
import torch.nn as nn

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'projects', 'shapes_vl_code_purity'))
from shapes_vl_study.loss_gradients import (  # noqa: E402
    format_loss_gradients, loss_gradients)


class TwoLosses(nn.Module):
    """``loss_a`` uses the trunk; ``loss_b`` only the side branch;
    ``acc`` is not a loss."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(4, 3)
        self.side = nn.Linear(4, 1)
        self.data_preprocessor = lambda batch, training: batch

    def forward(self, x, mode):
        assert mode == 'loss'
        return dict(loss_a=(self.trunk(x) ** 2).mean(),
                    loss_b=self.side(x).mean() + 0 * self.trunk.bias.sum(),
                    loss_c=self.trunk(x).sum() * 0.5,
                    acc=torch.tensor(1.0))


def test_norms_and_cosines_match_autograd():
    torch.manual_seed(0)
    model = TwoLosses()
    batches = [dict(x=torch.randn(5, 4)) for _ in range(2)]
    stats = loss_gradients(model, batches, 'trunk')
    assert set(stats) == {'loss_a', 'loss_b', 'loss_c'}
    params = list(model.trunk.parameters())
    norms = {k: [] for k in stats}
    cosines = {k: [] for k in stats}
    for batch in batches:
        losses = model(**batch, mode='loss')
        flat = {}
        for k in stats:
            model.zero_grad()
            losses[k].backward(retain_graph=True)
            flat[k] = torch.cat([
                (p.grad if p.grad is not None else torch.zeros_like(p))
                .flatten() for p in params])
        total = sum(flat.values())
        for k in stats:
            norms[k].append(flat[k].norm().item())
            cosines[k].append(
                0.0 if flat[k].norm() == 0 else
                torch.cosine_similarity(flat[k], total, 0).item())
    for k in stats:
        assert stats[k]['grad_norm'] == pytest.approx(
            sum(norms[k]) / 2, rel=1e-5)
        assert stats[k]['cos_total'] == pytest.approx(
            sum(cosines[k]) / 2, abs=1e-5)
    assert stats['loss_b']['grad_norm'] == 0
    assert 'loss_a' in format_loss_gradients(stats, 'trunk')


def test_module_without_trainable_parameters():
    model = TwoLosses()
    model.side.requires_grad_(False)
    with pytest.raises(ValueError, match='side: no trainable'):
        loss_gradients(model, [dict(x=torch.randn(2, 4))], 'side')
