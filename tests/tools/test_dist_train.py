"""`bash tools/dist_train.sh CONFIG 2` on a CPU-only machine (gloo)."""
import os
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO, tiny_train_config

DUMP_HOOK = '''
import os

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from semmim.registry import HOOKS


@HOOKS.register_module()
class DumpStatePerRankHook(Hook):
    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) \\
            else runner.model
        torch.save(model.state_dict(),
                   os.path.join(runner.work_dir, f'rank{get_rank()}.pth'))
'''


@pytest.mark.timeout(900)
def test_dist_train_two_cpu_processes(tiny_shapes, tmp_path):
    (tmp_path / 'dump_hook.py').write_text(DUMP_HOOK)
    cfg = tiny_train_config(
        tmp_path / 'cfg.py', tiny_shapes + '/',
        extra="custom_imports = dict(imports=['dump_hook'])\n"
        "custom_hooks = [dict(type='MomentumUpdateHook'), "
        "dict(type='RNGStateHook'), "
        "dict(type='DumpStatePerRankHook')]\n"
        "train_cfg = dict(max_epochs=1)")
    work = tmp_path / 'work'
    env = dict(os.environ, PYTHON=sys.executable, PORT='29731',
               OMP_NUM_THREADS='1',
               PYTHONPATH=str(tmp_path) + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(
        ['bash', os.path.join(REPO, 'tools', 'dist_train.sh'), cfg, '2',
         '--work-dir', str(work)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=800)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    log = proc.stdout + proc.stderr
    assert 'Epoch(train) [1][2/2]' in log  # 16 images / (2 ranks x 4)
    s0 = torch.load(work / 'rank0.pth', weights_only=True)
    s1 = torch.load(work / 'rank1.pth', weights_only=True)
    for key, value in s0.items():
        torch.testing.assert_close(s1[key], value, msg=key)
    # the ITC queue received both ranks' features: 2 steps x 8
    assert int(s0['itc_head.queue_ptr']) == 16
