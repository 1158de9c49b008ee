"""Evaluate a checkpoint with a config (single process or distributed).

Examples:
    python tools/test.py CONFIG CHECKPOINT
    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    bash tools/dist_test.sh CONFIG CHECKPOINT 8
"""
import argparse
import os
import sys

from mmengine.config import Config, DictAction
from mmengine.dist import get_rank
from mmengine.runner import Runner

import semmim  # noqa: F401  (applies the compat fixes)
from semmim.engine.config_checks import (check_cfg_options, quiet_console,
                                         run_tool)
from semmim.engine.runner_setup import prepare_cfg
from semmim.utils import register_all_modules
from semmim.utils.reporting import format_metrics


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle (or .json) file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
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


def main():
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    cfg.load_from = args.checkpoint
    cfg = prepare_cfg(cfg, args.launcher, args.work_dir, args.config)
    if args.out:
        dumper = dict(type='DumpResults', out_file_path=args.out)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, dict) and 'metrics' not in evaluator:
            evaluator = [evaluator]
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = list(evaluator) + [dumper]
        else:
            evaluator['metrics'] = list(evaluator['metrics']) + [dumper]
    with quiet_console():  # environment and config: in the log file
        runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if get_rank() == 0:
        print(format_metrics(metrics))


if __name__ == '__main__':
    sys.exit(run_tool(main))
