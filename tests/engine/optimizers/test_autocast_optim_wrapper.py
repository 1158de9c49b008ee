"""bf16 autocast training (AutocastOptimWrapper) of every model, on CPU."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper

from semmim.registry import MODELS
from tests.conftest import tiny_batch, tiny_semmim_cfg
from tests.models.algorithms import (test_semmim_caption,
                                     test_semmim_retrieval, test_semmim_vqa)


def wrapper(model):
    return build_optim_wrapper(model, dict(
        type='AutocastOptimWrapper', device_type='cpu',
        optimizer=dict(type='AdamW', lr=1e-3)))


def test_context_casts_matmuls_and_keeps_fp32_state():
    torch.manual_seed(0)
    lin = torch.nn.Linear(8, 4)
    optim = wrapper(lin)
    with optim.optim_context(lin):
        out = lin(torch.randn(3, 8))
    assert out.dtype == torch.bfloat16
    optim.update_params(out.float().square().mean())
    assert lin.weight.dtype == torch.float32
    assert optim.optimizer.state[lin.weight]['exp_avg'].dtype == \
        torch.float32
    # outside the context nothing is cast
    assert lin(torch.randn(3, 8)).dtype == torch.float32


def _step(model, data):
    optim = wrapper(model)
    with optim.optim_context(model):
        losses = model(**data, mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(loss), losses
    optim.update_params(loss)
    return losses


def test_pretraining_step_with_queue_and_mlm_distillation():
    # regression: the ITC queue is fp32 and autocast features are bf16;
    # writing them into it raised in index_put
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg(
        teacher=dict(mlm_distill=True),
        itc_head=dict(batch_candidates='momentum')))
    model.init_weights()
    model.train()
    data = tiny_batch(model)
    losses = _step(model, data)
    assert {'loss_itc', 'loss_itm', 'loss_mlm', 'loss_plm', 'loss_patch',
            'loss_cls'} <= set(losses)
    queue = model.itc_head.image_queue
    assert queue.dtype == torch.float32
    assert int(model.itc_head.queue_ptr) == 4
    assert queue[:4].abs().sum() > 0
    for p in model.parameters():
        assert p.dtype == torch.float32


def test_retrieval_finetune_step():
    model, data = test_semmim_retrieval.finetune_model_and_batch()
    _step(model, data)
    assert model.itc_head.image_queue.dtype == torch.float32
    assert set(model.itc_head.idx_queue[:4].tolist()) == {0, 1}


@pytest.mark.parametrize('module', [test_semmim_caption, test_semmim_vqa])
def test_caption_and_vqa_steps(module):
    model = module.build().train()
    data = tiny_batch(model, views=1) if module is test_semmim_caption \
        else module.batch(model)
    _step(model, data)


@pytest.mark.parametrize('bf16_gflops, sizes', [
    (0.1, [256, 256]),  # emulated bf16: the small probe decides
    (900.0, [256, 256, 1024, 1024]),  # AMX-like: measured at full size
])
def test_bf16_speedup_probes_small_first(bf16_gflops, sizes, monkeypatch):
    """Where bf16 is emulated, a 1024 x 1024 bf16 product takes seconds to
    minutes (0.1 GFLOP/s on an AVX2 CPU without AMX): it is never timed
    there."""
    from semmim.cpu import bf16 as aow
    seen = []

    def fake_peak(dtype=torch.float32, n=2048, repeat=6):
        seen.append(n)
        return (bf16_gflops if dtype == torch.bfloat16 else 100.0) * 1e9

    monkeypatch.setattr(aow, 'matmul_peak', fake_peak)
    assert aow.cpu_bf16_speedup() == pytest.approx(bf16_gflops / 100)
    assert seen == sizes
