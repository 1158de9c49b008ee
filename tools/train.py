"""Train a model from a config (single process or distributed).

Examples:
    python tools/train.py \
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py
    bash tools/dist_train.sh configs/semmim/pretrain_4m.py 8
"""
import argparse
import os
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import semmim  # noqa: F401  (applies the compat fixes)
from semmim.engine.config_checks import (check_cfg_options, quiet_console,
                                         run_tool)
from semmim.engine.runner_setup import prepare_cfg
from semmim.registry import RUNNERS
from semmim.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a value, from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: AmpOptimWrapper on a GPU, bf16 autocast on a '
        'CPU whose bf16 matmuls beat fp32 (AMX)')
    parser.add_argument(
        '--compile', action='store_true',
        help='torch.compile the transformer blocks (CompileBlocksHook)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rates linearly by the global batch (GPUs x '
        'batch size x accumulated steps) over the config\'s '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value, e.g. '
        'train_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_auto_scale_lr(cfg):
    """``--auto-scale-lr``: MMEngine's linear scaling (the runner logs the
    ratio). MMEngine counts GPUs x batch size; with gradients accumulated
    over k steps an optimizer step sees k batches, so the base is divided
    by k to scale by the batch of an update."""
    scale = cfg.get('auto_scale_lr') or {}
    if 'base_batch_size' not in scale:
        raise SystemExit(
            f'--auto-scale-lr: {cfg.filename or "the config"} sets no '
            'auto_scale_lr.base_batch_size (the batch its learning rates '
            'are for)')
    cfg.auto_scale_lr = dict(scale, enable=True)
    accumulate = cfg.get('optim_wrapper', {}).get('accumulative_counts', 1)
    if accumulate > 1:
        base = scale['base_batch_size']
        cfg.auto_scale_lr['base_batch_size'] = base / accumulate
        print(f'--auto-scale-lr: gradients accumulate over {accumulate} '
              f'steps, so the base batch of {base} per update is '
              f'{base / accumulate:g} per step')


def merge_args(cfg, args):
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.amp:
        import torch
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            # MMEngine's AmpOptimWrapper needs an accelerator; bf16 autocast
            # runs on a CPU and pays where its matmuls beat fp32 (AMX)
            from semmim.cpu import cpu_bf16_speedup
            speedup = cpu_bf16_speedup()
            if speedup < 1.2:
                raise SystemExit(
                    f'--amp: bf16 matmuls run at {speedup:.2f}x fp32 on this '
                    'CPU (no AMX), so mixed precision would be slower; train '
                    'in fp32 (drop --amp)')
            print(f'--amp on CPU: bf16 matmuls run at {speedup:.1f}x fp32 '
                  'here; training with bf16 autocast (AutocastOptimWrapper)')
            cfg.optim_wrapper.type = 'AutocastOptimWrapper'
            cfg.optim_wrapper.pop('loss_scale', None)
    if args.compile:
        hooks = list(cfg.get('custom_hooks', []))
        if not any(h.get('type') == 'CompileBlocksHook' for h in hooks):
            hooks.append(dict(type='CompileBlocksHook'))
        cfg.custom_hooks = hooks
    if getattr(args, 'auto_scale_lr', False):
        enable_auto_scale_lr(cfg)
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main():
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    cfg = prepare_cfg(cfg, args.launcher, args.work_dir, args.config)
    with quiet_console():  # environment and config: in the log file
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
            Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    sys.exit(run_tool(main))
