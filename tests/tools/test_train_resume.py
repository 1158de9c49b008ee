"""SIGKILL a run after its first checkpoint, resume, compare with an
uninterrupted run: same losses, same final state (weights, optimizer,
momentum copies, queue, centres, schedulers, RNG)."""
import json
import os
import subprocess
import sys
import glob

import pytest
import torch

from tests.conftest import REPO, tiny_train_config

KILL_HOOK = '''
import os
import signal

from mmengine.hooks import Hook

from semmim.registry import HOOKS


@HOOKS.register_module()
class KillAfterFirstCheckpointHook(Hook):
    """Dies like a preempted job right after the epoch-1 checkpoint."""
    priority = 'LOWEST'  # after CheckpointHook

    def after_train_epoch(self, runner):
        if runner.epoch == 0:  # epoch 1 ends (the counter moves after)
            os.kill(os.getpid(), signal.SIGKILL)
'''


def train(config, work_dir, *extra, env=None):
    return subprocess.run(
        [sys.executable, os.path.join(REPO, 'tools', 'train.py'), config,
         '--work-dir', work_dir, *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def losses(work_dir):
    out = {}
    for fname in sorted(glob.glob(os.path.join(
            work_dir, '*', 'vis_data', 'scalars.json'))):
        for line in open(fname):
            record = json.loads(line)
            if 'loss' in record:
                out[record['step']] = {k: v for k, v in record.items()
                                       if k.startswith('loss')}
    return out


@pytest.mark.timeout(900)
def test_sigkill_then_resume_matches_uninterrupted_run(tiny_shapes,
                                                       tmp_path):
    cfg = tiny_train_config(tmp_path / 'cfg.py', tiny_shapes + '/')
    (tmp_path / 'kill_hook.py').write_text(KILL_HOOK)
    killed_cfg = tiny_train_config(
        tmp_path / 'cfg_killed.py', tiny_shapes + '/',
        extra="custom_imports = dict(imports=['kill_hook'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='BadSampleLoggerHook'), "
        "dict(type='RNGStateHook'), dict(type='MomentumUpdateHook'), "
        "dict(type='TeacherTempWarmupHook', start=0.04, end=0.07, "
        "warmup_ratio=0.3), dict(type='WarmupParamHook', "
        "module_name='itc_head', param_name='alpha', warmup_epochs=1), "
        "dict(type='WarmupParamHook', module_name='mlm_head', "
        "param_name='alpha', warmup_epochs=1), "
        "dict(type='KillAfterFirstCheckpointHook')]")
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep +
               os.environ.get('PYTHONPATH', ''))

    full = train(cfg, str(tmp_path / 'full'))
    assert full.returncode == 0, full.stderr[-3000:]

    killed = train(killed_cfg, str(tmp_path / 'run'), env=env)
    assert killed.returncode == -9, killed.stderr[-3000:]  # SIGKILL
    assert os.path.exists(tmp_path / 'run' / 'epoch_1.pth')
    assert not os.path.exists(tmp_path / 'run' / 'epoch_2.pth')

    resumed = train(cfg, str(tmp_path / 'run'), '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed' in (resumed.stdout + resumed.stderr).lower()

    # the loss curve of epoch 2 repeats the uninterrupted run's
    a, b = losses(str(tmp_path / 'full')), losses(str(tmp_path / 'run'))
    steps = sorted(s for s in b if s > 4)
    assert steps == [5, 6, 7, 8]
    for s in steps:
        for key, value in a[s].items():
            assert b[s][key] == pytest.approx(value, rel=1e-5, abs=1e-6), \
                (s, key)

    # and so does everything the final checkpoint holds
    ca = torch.load(tmp_path / 'full' / 'epoch_2.pth', weights_only=True)
    cb = torch.load(tmp_path / 'run' / 'epoch_2.pth', weights_only=True)
    for key, value in ca['state_dict'].items():
        torch.testing.assert_close(cb['state_dict'][key], value,
                                   rtol=1e-5, atol=1e-6, msg=key)
    for name in ('momentum_vision.module.backbone.ln1.weight',
                 'momentum_towers.module.text_proj.weight',
                 'itc_head.image_queue', 'itc_head.queue_ptr',
                 'cls_head.center.center', 'mim_head.center.center',
                 'momentum_vision.steps'):
        assert name in ca['state_dict']
    sa = ca['optimizer']['state']
    sb = cb['optimizer']['state']
    for k in sa:
        torch.testing.assert_close(sb[k]['exp_avg'], sa[k]['exp_avg'],
                                   rtol=1e-5, atol=1e-7)
    assert ca['param_schedulers'] == cb['param_schedulers']
    assert ca['meta']['iter'] == cb['meta']['iter'] == 8
