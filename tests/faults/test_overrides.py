"""Config overrides nothing reads, hook and loop arguments nothing takes:
refused at start-up in one line; the environment tables stay in the log
file."""
import glob
import os
import subprocess
import sys

import pytest
from mmengine.config import Config

from semmim.engine.config_checks import (check_cfg_options,
                                         check_hook_and_loop_args,
                                         check_model_type)
from semmim.engine.runner_setup import add_reliability_hooks
from tests.conftest import REPO, tiny_train_config

DEMO = os.path.join(REPO, 'configs', 'semmim',
                    'semmim_vit-t-p8_1xb64-cpu_shapes-vl.py')


@pytest.fixture(scope='module')
def demo_cfg():
    return Config.fromfile(DEMO)


@pytest.mark.parametrize('option, expected', [
    ('data_root', "'data_root' is a variable of {cfg}, already used when "
     'the config was read, so changing it does nothing; override where it '
     'was used instead, e.g. train_dataloader.dataset.data_root=...'),
    ('max_epochs', "'max_epochs' is a variable of {cfg}, already used when "
     'the config was read, so changing it does nothing; override where it '
     'was used instead, e.g. train_cfg.max_epochs=...'),
    ('tokenizer.type', "'tokenizer' is a variable of {cfg}"),
    ('max_epoch', "'max_epoch' is not a setting the runner reads"),
    ('lod_from', "'lod_from' is not a setting the runner reads (did you "
     "mean 'load_from'?)"),
])
def test_unread_top_level_overrides_are_refused(demo_cfg, option, expected):
    with pytest.raises(ValueError) as err:
        check_cfg_options(demo_cfg, {option: 1})
    msg = str(err.value)
    assert '\n' not in msg
    assert msg.startswith(f'--cfg-options {option}: ' +
                          expected.format(cfg=DEMO))


def test_overrides_the_runner_reads_pass(demo_cfg):
    check_cfg_options(demo_cfg, {
        'train_dataloader.batch_size': 8, 'load_from': 'x.pth',
        'model.itc_head.queue_size': 0, 'randomness.seed': 1,
        'default_hooks.nonfinite_guard': None, 'train_cfg.max_epochs': 1,
        'checkpoint_match.allow_partial': True})


@pytest.mark.parametrize('option, expected', [
    ('default_hooks.checkpoint.intervall', 'default_hooks.checkpoint.'
     "intervall: CheckpointHook takes no argument 'intervall' (did you mean "
     "'interval'?)"),
    ('default_hooks.nonfinite_guard.max_skips', 'default_hooks.'
     "nonfinite_guard.max_skips: NonFiniteGuardHook takes no argument "
     "'max_skips'"),
    ('custom_hooks', None),
    ('train_cfg.max_epoch', "train_cfg.max_epoch: EpochBasedTrainLoop takes "
     "no argument 'max_epoch' (did you mean 'max_epochs'?)"),
    ('val_cfg.intervall', "val_cfg.intervall: ValLoop takes no argument"),
])
def test_hook_and_loop_arguments_are_checked(option, expected):
    cfg = Config.fromfile(DEMO)
    if option == 'custom_hooks':
        cfg.custom_hooks = [dict(type='MomentumUpdateHook', every=2)]
        expected = ("custom_hooks[0].every: MomentumUpdateHook takes no "
                    "argument 'every'")
    else:
        cfg.merge_from_dict({option: 5})
    add_reliability_hooks(cfg)
    with pytest.raises(ValueError) as err:
        check_hook_and_loop_args(cfg)
    msg = str(err.value)
    assert '\n' not in msg and msg.startswith(f'{DEMO}: {expected}')


def test_every_config_passes_the_checks():
    configs = [f for pattern in ('configs/**/*.py', 'projects/*/configs/*.py')
               for f in glob.glob(f'{REPO}/{pattern}', recursive=True)
               if '/_base_/' not in f]
    assert len(configs) > 40
    for path in configs:
        cfg = Config.fromfile(path)
        add_reliability_hooks(cfg)
        check_hook_and_loop_args(cfg)
        check_model_type(cfg)


def test_train_py_errors_are_one_line_first(tiny_shapes, tmp_path):
    """A failure after the Runner is built (a broken --resume file): the
    first thing on stderr is one line; stdout has no environment table;
    the log file has the table and the traceback."""
    cfg = tiny_train_config(tmp_path / 'cfg.py', tiny_shapes + '/')
    broken = tmp_path / 'broken.pth'
    broken.write_bytes(b'PK\x03\x04 not a checkpoint')
    work = tmp_path / 'work'
    run = subprocess.run(
        [sys.executable, os.path.join(REPO, 'tools', 'train.py'), cfg,
         '--work-dir', str(work), '--resume', str(broken)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    err = [line for line in run.stderr.splitlines()
           if not line.startswith(' ') and 'Warning' not in line]
    assert err[0] == (f'error: --resume {broken}: truncated or corrupted '
                      '(File is not a zip file); give another checkpoint (or '
                      '--resume alone for the newest intact one)'), err
    assert 'System environment' not in run.stdout
    assert 'Traceback' not in run.stderr
    log = err[1][len('(traceback in '):-1]
    text = open(log).read()
    assert 'System environment' in text and 'Traceback' in text
