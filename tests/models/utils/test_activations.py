import torch
from mmpretrain.models.utils import QuickGELU

from semmim.cpu import FastQuickGELU
from semmim.registry import MODELS


def test_fast_quick_gelu_equals_quick_gelu():
    """Values and gradients of ``x * sigmoid(1.702 x)``, to round-off, over
    small and saturated inputs; the registry builds it by name."""
    x = torch.cat([torch.randn(1000) * 3, torch.tensor([-60., -20., 0., 20.,
                                                         60.])])
    grad = torch.randn_like(x)
    outs = []
    for act in (QuickGELU(), MODELS.build(dict(type='FastQuickGELU'))):
        xi = x.clone().requires_grad_()
        y = act(xi)
        y.backward(grad)
        outs.append((y.detach(), xi.grad))
    (y0, g0), (y1, g1) = outs
    torch.testing.assert_close(y1, y0, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(g1, g0, rtol=1e-5, atol=1e-6)
    # the function differs from exact GELU: the test would catch a swap
    assert (y0 - torch.nn.functional.gelu(x)).abs().max() > 1e-2


def test_vit_uses_fast_quick_gelu(tiny_model):
    acts = [m for m in tiny_model.vision_backbone.modules()
            if isinstance(m, FastQuickGELU)]
    assert len(acts) == len(tiny_model.vision_backbone.layers)
