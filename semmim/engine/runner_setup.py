"""Config adjustments shared by ``tools/train.py`` and ``tools/test.py``.

They make one config run unchanged on GPUs (NCCL) and on CPU-only machines
(gloo), and catch config mistakes before the first iteration.
"""
import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction  # noqa: F401

from semmim.compat import check_collate_fn
from semmim.cpu import keep_freed_memory


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
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        name = osp.splitext(osp.basename(config_path or cfg.filename))[0]
        cfg.work_dir = osp.join('./work_dirs', name)
    check_collate_fn(cfg)
    if cfg.get('env_cfg', {}).get('keep_freed_cpu_memory', False):
        keep_freed_memory(True)
    if launcher != 'none' and not torch.cuda.is_available():
        init_cpu_process_group(cfg)
    return cfg


def init_cpu_process_group(cfg: Config) -> None:
    """Start a gloo process group for CPU-only distributed runs."""
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ.get('RANK', 0)),
            world_size=int(os.environ.get('WORLD_SIZE', 1)))
    wrapper = cfg.get('model_wrapper_cfg', None) or dict(
        type='MMDistributedDataParallel',
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type') in ('MMDistributedDataParallel', None):
        wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
