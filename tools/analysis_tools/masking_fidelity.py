"""Measure whether text-guided masks fall on what the caption names.

On Shapes-VL, for every image of a split and every one of its captions:
the share of masked patches that lie on the objects the caption names,
for text-guided masks at each masking temperature and patch-feature
choice, against random masks of the same ratio (docs/design.md,
"Text-guided masking, measured").

Examples:
    # the demo checkpoint, the temperatures and features of docs/design.md
    python tools/analysis_tools/masking_fidelity.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        work_dirs/demo/pretrain/last.pth
    # a quick look on fewer images
    python tools/analysis_tools/masking_fidelity.py CONFIG CKPT \\
        --num-images 100 --temperatures 1 0.1 --features itc
"""
import argparse
import os.path as osp
import time

import numpy as np

from semmim.visualization.masking_fidelity import (masking_fidelity,
                                                   named_patches)
from semmim.visualization.patch_codes import image_size_of, load_images
from semmim.visualization.samples import shapes_vl_samples
from semmim.visualization.tool_args import (add_model_args, default_out,
                                            load_model, write_json)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    parser.add_argument('--data-root', default='data/shapes_vl')
    parser.add_argument('--split', default='test')
    parser.add_argument('--num-images', type=int, default=500)
    parser.add_argument('--captions-per-image', type=int, default=5,
                        help='the first N captions of each image')
    parser.add_argument('--temperatures', type=float, nargs='+',
                        default=[1.0, 0.3, 0.1, 0.05, 0.03])
    parser.add_argument('--features', nargs='+', default=['itc', 'fusion'],
                        help='patch-text similarities to measure')
    parser.add_argument('--draws', type=int, default=4,
                        help='masks drawn per pair and setting')
    parser.add_argument('--min-fraction', type=float, default=0.25,
                        help='object coverage that makes a patch named')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='JSON (default: <checkpoint dir>/'
                        'analysis/masking_fidelity.json)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    if args.num_images < 1 or args.captions_per_image < 1:
        raise ValueError('--num-images and --captions-per-image must be >= 1')
    model = load_model(args)
    model.eval()
    from semmim.models.algorithms.semmim_teacher import MASK_FEATURES
    bad = [f for f in args.features if f not in MASK_FEATURES]
    if bad:
        raise ValueError(f'--features: unknown {bad}; choose from '
                         f'{MASK_FEATURES}')
    samples = shapes_vl_samples(args.data_root, args.split,
                                num_images=args.num_images)
    images, _ = load_images([s['image'] for s in samples],
                            image_size_of(model))
    grid = model.momentum_vision.module['backbone'].patch_resolution[0]
    index, captions, named, objects = [], [], [], []
    for i, s in enumerate(samples):
        everything = ' '.join(o['shape'] for o in s['scene']['objects'])
        for caption in s['captions'][:args.captions_per_image]:
            index.append(i)
            captions.append(caption)
            named.append(named_patches(s['scene'], caption, grid,
                                       args.min_fraction).ravel())
            objects.append(named_patches(s['scene'], everything, grid,
                                         args.min_fraction).ravel())
    named, objects = np.stack(named), np.stack(objects)
    # the control: each pair masked with a caption of the next image
    shift = next((k for k, i in enumerate(index) if i != index[0]), 0)
    other = captions[shift:] + captions[:shift] if shift else None
    rows = masking_fidelity(
        model, images[index], captions, named, args.temperatures,
        args.features, draws=args.draws, seed=args.seed,
        other_captions=other, objects=objects)
    print(f'{len(samples)} {args.split} images, {len(captions)} captions; '
          f'mask ratio {model.mask_generator.mask_ratio:g}; named-object '
          f'patches {rows[0]["named_share"]:.3f} of all')
    print('share of masked patches on the objects the caption names')
    print('S_i      tau_m  text-guided  random  lift  other caption  '
          'p on named')
    for r in rows:
        print(f'{r["features"]:<8} {r["temperature"]:<6g} '
              f'{r["text_guided"]:11.3f} {r["random"]:7.3f} '
              f'{r["lift"]:5.2f} {r.get("other_caption", float("nan")):14.3f}'
              f' {r["prob_on_named"]:11.3f}')
    if 'which_object' in rows[0]:
        print('captions naming some objects but not all: share of masked '
              'object patches on the named ones')
        print('S_i      tau_m  this caption  other caption  by area '
              '(blind to the caption)')
        for r in rows:
            print(f'{r["features"]:<8} {r["temperature"]:<6g} '
                  f'{r["which_object"]:12.3f} '
                  f'{r.get("which_object_other", float("nan")):14.3f} '
                  f'{r["which_object_area"]:8.3f}')
    out = args.out or default_out(args, 'masking_fidelity.json')
    write_json(out, dict(config=osp.abspath(args.config),
                         checkpoint=args.checkpoint, split=args.split,
                         num_images=len(samples), num_pairs=len(captions),
                         mask_ratio=model.mask_generator.mask_ratio,
                         rows=rows))
    print(f'wrote {out} ({time.time() - start:.1f} s)')
    return rows


if __name__ == '__main__':
    main()
