"""Command line interface of the Shapes-VL generator.

Shared by ``python -m semmim.datasets.shapes_vl`` and
``tools/dataset_converters/generate_shapes_vl.py``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Sequence

from .preview import write_preview
from .semantics import format_semantics
from .writer import (DEFAULT_IMAGE_SIZE, DEFAULT_OUT_DIR, WORLDS,
                     dataset_settings, generate_shapes_vl, is_complete)


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the generator CLI."""
    parser = argparse.ArgumentParser(
        description='Generate Shapes-VL, the deterministic synthetic '
        'vision-language dataset (pre-training, retrieval, captioning and '
        'VQA annotations in COCO/ALBEF/Karpathy/VQA v2 formats).')
    parser.add_argument(
        '--world',
        choices=WORLDS,
        default='v1',
        help='v1 (default) or v2: 2-3 objects in quadrants, a 4-colour '
        'palette and complete captions, in which colour alone does not '
        'identify an image (see docs/shapes_vl_v2.md)')
    parser.add_argument(
        '--out-dir',
        default=None,
        help='output folder (default: data/shapes_vl for v1, '
        'data/shapes_vl_v2 for v2)')
    parser.add_argument('--num-train', type=int, default=4000)
    parser.add_argument('--num-val', type=int, default=500)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument(
        '--image-size',
        type=int,
        default=None,
        help='image side in pixels (default: 128 for v1, 64 for v2)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--workers',
        type=int,
        default=None,
        help='worker processes (default: one per core for '
        'large sets); does not change the output')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='regenerate even if a complete dataset exists')
    parser.add_argument(
        '--preview',
        action='store_true',
        help='also write preview.png, a contact sheet of '
        'the first 16 train images with a caption each')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.out_dir is None:
        args.out_dir = DEFAULT_OUT_DIR[args.world]
    if args.image_size is None:
        args.image_size = DEFAULT_IMAGE_SIZE[args.world]
    sizes = dict(train=args.num_train, val=args.num_val, test=args.num_test)
    settings = dataset_settings(sizes, args.image_size, args.seed,
                                args.world)
    if not args.overwrite and is_complete(args.out_dir, settings):
        print(f'Shapes-VL already complete in {args.out_dir} with the same '
              f'settings (seed={args.seed}, image_size={args.image_size}, '
              f'{sizes}); nothing to do (use --overwrite to regenerate).')
        summary = None
        if args.world == 'v2':
            with open(f'{args.out_dir}/meta.json', encoding='utf-8') as f:
                semantics = json.load(f)['semantics']
            for split, sem in semantics.items():
                print(format_semantics(split, sem))
    else:
        world = ' v2' if args.world == 'v2' else ''
        print(f'Generating Shapes-VL{world} into {args.out_dir}: {sizes} '
              f'images of {args.image_size}px, seed={args.seed}')
        try:
            summary = generate_shapes_vl(
                args.out_dir,
                num_train=args.num_train,
                num_val=args.num_val,
                num_test=args.num_test,
                image_size=args.image_size,
                seed=args.seed,
                num_workers=args.workers,
                overwrite=args.overwrite,
                progress=not args.no_progress,
                world=args.world)
        except FileExistsError as err:
            print(f'error: {err}', file=sys.stderr)
            return 1
        print(f'Done in {summary["seconds"]:.1f} s: '
              f'images {summary["num_images"]}, '
              f'captions {summary["num_captions"]}, '
              f'questions {summary["num_questions"]}, '
              f'{summary["num_answers"]} distinct train answers, '
              f'{summary["megabytes"]:.1f} MB on disk.')
        for split, sem in summary.get('semantics', {}).items():
            print(format_semantics(split, sem))
    if args.preview:
        t = time.time()
        path = write_preview(args.out_dir)
        print(f'Wrote preview {path} ({time.time() - t:.1f} s)')
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
