"""The training benchmark runs on a tiny config and reports what it says."""
import importlib.util
from collections import Counter
import os.path as osp

import pytest
import torch

from tests.conftest import REPO, tiny_train_config


# the peak from 256 x 256 products: 2048 x 2048 ones cost the suite about
# 1.5 s a measurement, and a run measures three to five times
QUICK_PEAK = ('--peak-size', '256')


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        'benchmark_train', osp.join(REPO, 'tools', 'analysis_tools',
                                    'benchmark_train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(600)
def test_compare_synthetic_and_real(tiny_shapes, tmp_path, capsys):
    config = tiny_train_config(tmp_path / 'tiny.py', tiny_shapes)
    no_mim = tmp_path / 'tiny_mim-none.py'
    no_mim.write_text(
        f"_base_ = [{config!r}]\n"
        "model = dict(encoding_head=None, cls_head=None, mim_head=None,\n"
        "             mask_generator=None)\n")
    bench = load_benchmark()
    report = bench.main([config, '--compare', str(no_mim), '--batch-size',
                         '2', '--iters', '1', '--warmup', '1', *QUICK_PEAK,
                         '--data', 'both'])
    out = capsys.readouterr().out
    assert report['peak'] > 0
    # measured before the first step and after each round: the best counts
    assert len(report['peak_samples']) == 1 + 2 + 2
    assert report['peak'] == max(report['peak_samples'])
    assert 'measurements during the run' in out
    if not torch.cuda.is_available():
        # without --amp only a quick bf16 probe: a bf16 peak would take
        # minutes where bf16 is emulated
        assert 'bf16_peak' not in report
        assert report['bf16_over_fp32'] > 0
        assert 'bf16 matmuls run at' in out
    a, b = report['synthetic']
    assert a['flops'] > b['flops'] > 0  # MIM adds work
    assert report['flop_ratio'] == pytest.approx(a['flops'] / b['flops'])
    assert [r['config'] for r in report['real']] == [config, str(no_mim)]
    for line in ('samples/s', 'GFLOP/iter', 'of the measured fp32 matmul peak',
                 'outside the model math', 'A/B: time'):
        assert line in out


@pytest.mark.timeout(300)
@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU autocast path')
def test_amp_reports_against_the_bf16_peak(tiny_shapes, tmp_path, capsys):
    config = tiny_train_config(tmp_path / 'tiny.py', tiny_shapes)
    bench = load_benchmark()
    report = bench.main([config, '--batch-size', '2', '--iters', '1',
                         '--warmup', '1', *QUICK_PEAK, '--ab', 'amp'])
    out = capsys.readouterr().out
    assert 'of the measured bf16 matmul peak' in out
    assert 'of the fp32 matmul peak)' in out
    assert 'of the measured fp32 matmul peak' in out
    fp32, bf16 = report['synthetic']
    assert bf16['config'] == config + ' [bf16 autocast]'
    # autocast changes the precision, not the work
    assert bf16['flops'] == fp32['flops'] > 0
    assert report['flop_ratio'] == 1.0


def test_drop_pretrained_removes_only_pretrained_init():
    bench = load_benchmark()
    cfg = dict(a=dict(init_cfg=dict(type='Pretrained', checkpoint='x')),
               b=[dict(init_cfg=dict(type='Normal', std=0.02))])
    out = bench.drop_pretrained(cfg)
    assert 'init_cfg' not in out['a']
    assert out['b'][0]['init_cfg']['type'] == 'Normal'


@pytest.mark.timeout(300)
@pytest.mark.parametrize('flag, kept', [([], True),
                                        (['--default-malloc'], False)])
def test_allocator_setting_is_applied_to_every_step(flag, kept, tiny_shapes,
                                                    tmp_path, monkeypatch):
    config = tiny_train_config(tmp_path / 'tiny.py', tiny_shapes)
    bench = load_benchmark()
    calls = []
    monkeypatch.setattr(bench, 'keep_freed_memory', calls.append)
    report = bench.main([config, '--batch-size', '2', '--iters', '1',
                         '--warmup', '1', *QUICK_PEAK] + flag)
    name = report['synthetic'][0]['config']
    assert name == config + ('' if kept else ' [default malloc]')
    assert calls == [kept] * 2  # warm-up and timed step


def test_missing_real_data_is_skipped_with_a_message(tmp_path, capsys):
    """--data both without the dataset times the synthetic batches and says
    why the real ones were skipped (the dataset is built before the first
    batch is asked for, inside the guard)."""
    config = tiny_train_config(tmp_path / 'tiny.py', str(tmp_path / 'none'))
    report = load_benchmark().main([config, '--batch-size', '2', '--iters',
                                    '1', '--warmup', '1', *QUICK_PEAK,
                                    '--data', 'both'])
    out = capsys.readouterr().out
    assert len(report['synthetic']) == 1 and report['real'] == []
    assert 'real data unavailable' in out and 'annotation file' in out


def test_record_and_replay_kernels():
    """The recorder sees each matmul of a forward + backward once per call,
    with its layout; the replay times exactly those calls."""
    bench = load_benchmark()
    torch.manual_seed(0)
    lin = torch.nn.Linear(64, 32)
    x = torch.randn(16, 64, requires_grad=True)

    def step():
        q = lin(x).view(2, 8, 32)
        attn = torch.nn.functional.scaled_dot_product_attention(
            q[:, None], q[:, None], q[:, None])
        attn.sum().backward()

    calls = bench.record_kernels(step)
    names = Counter()
    for (func, _, _), n in calls.items():
        names[func.__name__.split('.')[0]] += n
    # forward addmm; backward: grad of input and of weight (two mm)
    assert names['addmm'] == 1 and names['mm'] == 2
    assert sum(n for k, n in names.items() if 'attention' in k) == 2
    specs = {args[1][1:3] for func, args, _ in calls
             if func.__name__.startswith('addmm')}
    assert specs == {((16, 64), (64, 1))}  # shape and strides of the input
    assert bench.replay_kernels(calls) > 0


@pytest.mark.timeout(600)
def test_kernels_flag_reports_the_kernel_share(tiny_shapes, tmp_path, capsys):
    config = tiny_train_config(tmp_path / 'tiny.py', tiny_shapes)
    report = load_benchmark().main([config, '--batch-size', '2', '--iters',
                                    '1', '--warmup', '1', *QUICK_PEAK,
                                    '--kernels'])
    out = capsys.readouterr().out
    (run,) = report['synthetic']
    assert 0 < run['kernel_s']
    assert 'matmul + attention kernels alone' in out


def test_non_positive_peak_size_is_refused(tmp_path, capsys):
    """A zero side would time empty products and divide by a zero peak."""
    config = tiny_train_config(tmp_path / 'tiny.py', str(tmp_path / 'none'))
    with pytest.raises(SystemExit):
        load_benchmark().main([config, '--peak-size', '0'])
    assert '--peak-size must be a positive side, got 0' in \
        capsys.readouterr().err
