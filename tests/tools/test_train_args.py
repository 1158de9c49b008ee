"""tools/train.py --amp and --compile. --amp: AmpOptimWrapper on GPUs,
bf16 autocast on CPUs whose bf16 matmuls are fast, a clear refusal
elsewhere; --compile: the CompileBlocksHook, once."""
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
                resume=None)
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

