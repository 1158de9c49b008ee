"""Config adjustments shared by ``tools/train.py`` and ``tools/test.py``.

They make one config run unchanged on GPUs (NCCL) and on CPU-only machines
(gloo), and catch config mistakes before the first iteration.
"""
import datetime
import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction  # noqa: F401

from semmim.compat import check_collate_fn
from semmim.cpu import keep_freed_memory
from semmim.engine.config_checks import (check_hook_and_loop_args,
                                         check_model_type)
from semmim.utils.checkpoint_io import ATOMIC_BACKEND


def prepare_cfg(cfg: Config,
                launcher: str = 'none',
                work_dir: Optional[str] = None,
                config_path: Optional[str] = None) -> Config:
    """Apply the command-line level settings every tool needs.

    * ``work_dir``: the command line, else the config, else
      ``work_dirs/<config name>``.
    * ``launcher``: on a machine without CUDA, the process group is
      initialised with gloo here (MMEngine's pytorch launcher would call
      ``torch.cuda.set_device``) and DDP wraps the model with
      ``device_ids=None`` (MMEngine passes ``[local_rank]``, which needs a
      GPU).
    * every dataloader must use ``default_collate`` (see
      :func:`semmim.compat.check_collate_fn`).
    * ``env_cfg.keep_freed_cpu_memory``: glibc keeps freed memory for reuse
      (see :mod:`semmim.cpu.malloc`).
    * reliability (``docs/reliability.md``): ``default_hooks`` gain
      ``nonfinite_guard`` (:class:`NonFiniteGuardHook`) and
      ``checkpoint_guard`` (:class:`CheckpointGuardHook`) unless the config
      sets them (``None`` turns one off); the ``CheckpointHook`` writes
      atomically unless it has its own ``backend_args``; hook and loop
      arguments their classes will not take are refused now, not after an
      epoch.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        name = osp.splitext(osp.basename(config_path or cfg.filename))[0]
        cfg.work_dir = osp.join('./work_dirs', name)
    check_collate_fn(cfg)
    add_reliability_hooks(cfg)
    check_model_type(cfg)
    check_hook_and_loop_args(cfg)
    if cfg.get('env_cfg', {}).get('keep_freed_cpu_memory', False):
        keep_freed_memory(True)
    if launcher != 'none' and not torch.cuda.is_available():
        init_cpu_process_group(cfg)
    return cfg


def add_reliability_hooks(cfg: Config) -> None:
    """The guards on by default, checkpoints written atomically."""
    hooks = cfg.get('default_hooks', None)
    if hooks is None:
        hooks = cfg.default_hooks = {}
    for name, kind in (('nonfinite_guard', 'NonFiniteGuardHook'),
                       ('checkpoint_guard', 'CheckpointGuardHook')):
        hook = hooks.setdefault(name, dict(type=kind))
        if hook is None:
            hooks.pop(name)  # turned off (MMEngine refuses a None extra)
        elif isinstance(hook, dict):  # arguments given by --cfg-options
            hook.setdefault('type', kind)
    ckpt = hooks.get('checkpoint')
    if isinstance(ckpt, dict) and not ckpt.get('backend_args') and \
            not ckpt.get('file_client_args') and \
            '://' not in str(ckpt.get('out_dir') or ''):
        ckpt['backend_args'] = dict(backend=ATOMIC_BACKEND)


def init_cpu_process_group(cfg: Config) -> None:
    """Start a gloo process group for CPU-only distributed runs."""
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        # a collective waiting on a rank that hangs fails after this
        # (a rank that dies breaks its connections: the others fail at once)
        timeout = dist_cfg.get('timeout', 1800)
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ.get('RANK', 0)),
            world_size=int(os.environ.get('WORLD_SIZE', 1)),
            timeout=datetime.timedelta(seconds=timeout))
    wrapper = cfg.get('model_wrapper_cfg', None) or dict(
        type='MMDistributedDataParallel',
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type') in ('MMDistributedDataParallel', None):
        wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
