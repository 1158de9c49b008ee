"""tools/train.py --amp, --compile and --auto-scale-lr. --amp:
AmpOptimWrapper on GPUs, bf16 autocast on CPUs whose bf16 matmuls are fast,
a clear refusal elsewhere; --compile: the CompileBlocksHook, once;
--auto-scale-lr: MMEngine's scaling, by the batch of an optimizer step."""
import argparse
import importlib.util
import os

import pytest
from mmengine.config import Config

import semmim.cpu
from tests.conftest import REPO


def load_train():
    spec = importlib.util.spec_from_file_location(
        'semmim_train_tool', os.path.join(REPO, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def args(**kw):
    base = dict(cfg_options=None, amp=True, compile=False, no_validate=False,
                resume=None, auto_scale_lr=False)
    base.update(kw)
    return argparse.Namespace(**base)


def cfg():
    return Config(dict(optim_wrapper=dict(
        type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3))))


@pytest.fixture
def cpu_only(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)


def test_cpu_with_fast_bf16_uses_autocast(cpu_only, monkeypatch, capsys):
    monkeypatch.setattr(semmim.cpu, 'cpu_bf16_speedup', lambda: 3.9)
    out = load_train().merge_args(cfg(), args())
    assert out.optim_wrapper.type == 'AutocastOptimWrapper'
    assert 'loss_scale' not in out.optim_wrapper
    assert '3.9x fp32' in capsys.readouterr().out


def test_cpu_with_slow_bf16_refuses(cpu_only, monkeypatch):
    monkeypatch.setattr(semmim.cpu, 'cpu_bf16_speedup', lambda: 0.5)
    with pytest.raises(SystemExit, match='0.50x fp32'):
        load_train().merge_args(cfg(), args())


def test_gpu_uses_mmengine_amp(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    out = load_train().merge_args(cfg(), args())
    assert out.optim_wrapper.type == 'AmpOptimWrapper'
    assert out.optim_wrapper.loss_scale == 'dynamic'


def test_compile_adds_the_hook_once():
    c = cfg()
    c.custom_hooks = [dict(type='RNGStateHook')]
    out = load_train().merge_args(c, args(amp=False, compile=True))
    assert [h['type'] for h in out.custom_hooks] == [
        'RNGStateHook', 'CompileBlocksHook']
    out = load_train().merge_args(out, args(amp=False, compile=True))
    assert len(out.custom_hooks) == 2


def test_without_amp_nothing_changes():
    out = load_train().merge_args(cfg(), args(amp=False))
    assert out.optim_wrapper.type == 'OptimWrapper'



def test_auto_scale_lr_enables_mmengine_scaling():
    c = cfg()
    c.auto_scale_lr = dict(base_batch_size=256, enable=False)
    out = load_train().merge_args(c, args(amp=False, auto_scale_lr=True))
    assert out.auto_scale_lr == dict(base_batch_size=256, enable=True)
    out = load_train().merge_args(cfg(), args(amp=False))
    assert 'auto_scale_lr' not in out


def test_auto_scale_lr_counts_accumulated_steps(capsys):
    # the 2-GPU pre-training: 2 x 128 per step, 4 steps per update
    c = Config.fromfile(os.path.join(
        REPO, 'configs', 'semmim', 'pretrain_4m_2xb128-accum4.py'))
    assert c.auto_scale_lr == dict(base_batch_size=1024, enable=False)
    out = load_train().merge_args(c, args(amp=False, auto_scale_lr=True))
    assert out.auto_scale_lr.enable
    # MMEngine's ratio, GPUs x batch / base, is then the update's 1024/1024
    gpus, batch = 2, out.train_dataloader.batch_size
    assert gpus * batch / out.auto_scale_lr.base_batch_size == 1.0
    assert 'accumulate over 4 steps' in capsys.readouterr().out


def test_auto_scale_lr_needs_a_base_batch():
    with pytest.raises(SystemExit, match='sets no auto_scale_lr'):
        load_train().merge_args(cfg(), args(amp=False, auto_scale_lr=True))


def test_auto_scale_lr_scales_the_optimizer():
    """MMEngine's runner applies the enabled setting (linear in the
    batch), the way tools/train.py builds it."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    c = cfg()
    c.auto_scale_lr = dict(base_batch_size=256, enable=False)
    c = load_train().merge_args(c, args(amp=False, auto_scale_lr=True))
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 2), c.optim_wrapper)
    runner = Runner.__new__(Runner)
    runner._train_dataloader = dict(batch_size=32)
    runner._world_size = 2
    runner.param_schedulers = None
    runner.logger = __import__('mmengine').logging.MMLogger.get_instance(
        'auto_scale_lr_test')
    runner.scale_lr(wrapper, c.auto_scale_lr)
    assert wrapper.param_groups[0]['lr'] == pytest.approx(1e-3 * 64 / 256)
