"""Command-line arguments shared by the analysis tools.

Every picture tool takes a config and a checkpoint, and images either from
a Shapes-VL split (with ground truth: scenes and captions) or from files.
"""
import argparse
import json
import os
import os.path as osp
from typing import List, Optional

import torch


def add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='config of the pre-training model')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint (without: random weights, for '
                        'trying the tool)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE',
                        help='override config keys (MMEngine syntax)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch decides)')


def add_sample_args(parser: argparse.ArgumentParser,
                    num_images: Optional[int] = None) -> None:
    group = parser.add_argument_group(
        'images', 'a Shapes-VL split (default) or image files')
    group.add_argument('--data-root', default='data/shapes_vl',
                       help='Shapes-VL folder (default: %(default)s)')
    group.add_argument('--split', default='test')
    group.add_argument('--indices', type=int, nargs='+', default=None,
                       help='images of the split (default: the first '
                       '--num-images)')
    group.add_argument('--num-images', type=int, default=num_images)
    group.add_argument('--images', nargs='+', default=None,
                       help='image files or folders instead of Shapes-VL')


def load_config(args: argparse.Namespace):
    """``args.config`` with ``--cfg-options`` merged (and ``--threads``
    applied)."""
    from mmengine.config import Config, DictAction
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(
            ['--o'] + list(args.cfg_options)).o)
    return cfg


def load_model(args: argparse.Namespace, cfg=None):
    """Build the model of ``args.config`` (or of ``cfg``, from
    :func:`load_config`) and load ``args.checkpoint``."""
    from semmim.apis.base import build_model
    if cfg is None:
        cfg = load_config(args)
    return build_model(cfg, args.checkpoint, args.device)


def load_samples(args: argparse.Namespace,
                 captions: Optional[List[str]] = None) -> List[dict]:
    """Samples (see :mod:`semmim.visualization.samples`) from the args."""
    from .samples import file_samples, shapes_vl_samples
    if args.images:
        return file_samples(args.images, captions)
    if not osp.isdir(args.data_root):
        raise FileNotFoundError(
            f'{args.data_root}: no Shapes-VL here; generate it with '
            'tools/dataset_converters/generate_shapes_vl.py or pass --images')
    return shapes_vl_samples(args.data_root, args.split, args.indices,
                             args.num_images)


def default_out(args: argparse.Namespace, name: str) -> str:
    """``<checkpoint folder>/analysis/<name>`` (or ``work_dirs/analysis``)."""
    folder = osp.dirname(args.checkpoint) if args.checkpoint else 'work_dirs'
    return osp.join(folder, 'analysis', name)


def write_json(path: str, report: dict) -> None:
    """Write a tool's report, creating its folder."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(report, f, indent=1)
