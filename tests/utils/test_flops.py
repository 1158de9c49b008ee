"""FLOP counting against hand counts, and MMEngine's counter corrected."""
import pytest
import torch
import torch.nn.functional as F

from semmim.registry import MODELS
from semmim.utils.flops import (attention_flops, count_flops,
                                inference_flops, mmengine_flop_analyzer,
                                pretrain_inputs, training_step_flops)
from tests.conftest import tiny_semmim_cfg


def vit_hand_count(img=32, patch=8, dims=32, heads=2, ffn=64, layers=3,
                   batch=1):
    """FLOPs (2 per multiply-add) of a ViT forward, worked by hand."""
    n = (img // patch) ** 2
    tokens = n + 1  # + [CLS]
    embed = 2 * n * (3 * patch * patch) * dims
    qkv = 2 * tokens * dims * 3 * dims
    proj = 2 * tokens * dims * dims
    mlp = 2 * (2 * tokens * dims * ffn)
    # Q K^T and P V: 2 products of (L x d) by (d x L) per head
    attn = 2 * (2 * heads * tokens * tokens * (dims // heads))
    return batch * (embed + layers * (qkv + proj + mlp + attn)), \
        batch * layers * attn


@pytest.fixture
def tiny_vit():
    torch.manual_seed(0)
    return MODELS.build(tiny_semmim_cfg()).vision_backbone.eval()


def test_vit_forward_matches_hand_count(tiny_vit):
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _, count = count_flops(lambda: tiny_vit(x)[0])
    total, attn = vit_hand_count(batch=2)
    assert count.total == total
    # attention is in the count (the CPU kernel has no PyTorch formula)
    sdpa = {k: v for k, v in count.by_op.items() if 'attention' in k}
    assert sum(sdpa.values()) == attn


def test_attention_formula_and_backward():
    q = torch.randn(2, 3, 5, 4, requires_grad=True)
    k = torch.randn(2, 3, 7, 4, requires_grad=True)
    v = torch.randn(2, 3, 7, 6, requires_grad=True)
    assert attention_flops(q.shape, k.shape, v.shape) == \
        2 * 2 * 3 * 5 * 7 * (4 + 6)
    with torch.no_grad():
        _, fwd = count_flops(F.scaled_dot_product_attention, q, k, v)
    assert fwd.total == attention_flops(q.shape, k.shape, v.shape)
    _, both = count_flops(
        lambda: F.scaled_dot_product_attention(q, k, v).sum().backward())
    assert both.total == 3 * fwd.total


def test_mmengine_counter_skips_attention_and_the_wrapper_adds_it(tiny_vit):
    from mmengine.analysis import FlopAnalyzer
    x = torch.randn(1, 3, 32, 32)
    plain = FlopAnalyzer(tiny_vit, (x, ))
    plain.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    plain_total = plain.total()
    assert 'aten::scaled_dot_product_attention' in plain.unsupported_ops()
    fixed = mmengine_flop_analyzer(tiny_vit, (x, ))
    fixed.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    fixed_total = fixed.total()
    assert 'aten::scaled_dot_product_attention' not in \
        fixed.unsupported_ops()
    _, attn = vit_hand_count()
    # MMEngine counts multiply-adds: half our FLOPs
    assert fixed_total - plain_total == attn // 2
    assert fixed.by_operator()['scaled_dot_product_attention'] == attn // 2
    with torch.no_grad():
        _, ours = count_flops(lambda: tiny_vit(x)[0])
    # matrix products agree exactly; MMEngine adds norms on top
    products = sum(v for k, v in fixed.by_operator().items()
                   if k in ('conv', 'linear', 'scaled_dot_product_attention'))
    assert 2 * products == ours.total


@pytest.fixture
def tiny_semmim():
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg())
    for ema in model.momentum_modules().values():
        ema.total_steps = 100
    return model


def test_training_step_flops(tiny_semmim):
    inputs = pretrain_inputs(tiny_semmim, batch_size=2)
    step = training_step_flops(tiny_semmim, inputs)
    fwd, bwd, total = step['forward'], step['backward'], step['total']
    assert total.total == fwd.total + bwd.total
    # the forward split covers every counted op, once
    assert sum(fwd.by_part.values()) == fwd.total
    assert {'vision_backbone', 'text_encoder',
            'momentum_vision.module.backbone'} <= set(fwd.by_part)
    # backward of the trained parts costs about twice their forward; the
    # momentum passes have none, so the step is below 3x the forward
    assert fwd.total < bwd.total < 2 * fwd.total
    # seeded: the same count again
    again = training_step_flops(tiny_semmim, inputs)
    assert again['total'].total == total.total
    # at least one full ViT forward per view on the online encoder
    vit, _ = vit_hand_count(batch=2)
    assert fwd.by_part['vision_backbone'] >= vit


def test_inference_flops_of_each_task():
    from tests.apis.conftest import model_cfg
    torch.manual_seed(0)
    pre = inference_flops(MODELS.build(tiny_semmim_cfg()))
    vit, _ = vit_hand_count()
    assert pre['image_feature'].total > vit
    assert pre['text_feature'].total > 0
    keys = dict(retrieval={'image_feature', 'text_feature', 'itm_pair'},
                caption={'encode_image', 'generate', 'beam_step'},
                vqa={'encode', 'generate_answer', 'answer_step'})
    for task, expected in keys.items():
        model = MODELS.build(model_cfg(task))
        counts = inference_flops(model)
        assert set(counts) == expected, task
        assert all(c.total > 0 for c in counts.values()), task
    with pytest.raises(TypeError):
        inference_flops(torch.nn.Linear(2, 2))
