"""Draw pattern clusters of patch codes (paper Fig. 2).

Encodes the patches of a set of images with the momentum image encoder and
encoding head, gives each patch its arg-max code (of K), and writes a PNG
with, for the most used codes, a grid of the patches assigned to each
(cropped with some context; the patch itself is outlined). On Shapes-VL
each panel also names the code's majority object label, and by default
only codes whose majority is an object are shown (most patches are
background; ``--select frequent`` shows the most used codes of all).

Example:
    python tools/analysis_tools/vis_pattern_clusters.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        work_dirs/demo/pretrain/last.pth --num-images 500 \\
        --out work_dirs/demo/analysis/pattern_clusters.png
"""
import argparse
import time

import numpy as np

from semmim.visualization.code_purity import BACKGROUND
from semmim.visualization.patch_codes import encode_samples
from semmim.visualization.patterns import (draw_pattern_clusters,
                                           notes_from_labels)
from semmim.visualization.tool_args import (add_model_args, add_sample_args,
                                            default_out, load_model,
                                            load_samples)


def choose_codes(codes, labels, num: int, select: str) -> np.ndarray:
    """The codes to draw: the ``num`` most used, or (``'objects'``) the
    most used among those whose majority label is an object."""
    order = codes.top_codes()
    if select == 'frequent' or labels is None:
        return order[:num]
    flat_codes = codes.codes.ravel()
    flat_labels = labels['object'].ravel()
    keep = []
    for k in order:
        lab = flat_labels[flat_codes == k]
        if (lab != BACKGROUND).mean() > 0.5:
            keep.append(k)
        if len(keep) == num:
            break
    return np.asarray(keep, np.int64)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_sample_args(parser, num_images=500)
    parser.add_argument('--out', help='PNG (default: <checkpoint dir>/'
                        'analysis/pattern_clusters.png)')
    parser.add_argument('--num-codes', type=int, default=8)
    parser.add_argument('--per-code', type=int, default=16)
    parser.add_argument('--pick', choices=('random', 'confident'),
                        default='random',
                        help='which members of a code to show')
    parser.add_argument('--select', choices=('objects', 'frequent'),
                        default='objects',
                        help="'objects' (Shapes-VL only): codes whose "
                        "majority is an object; 'frequent': most used")
    parser.add_argument('--context', type=float, default=0.5)
    parser.add_argument('--with-caption', action='store_true',
                        help='inject the first caption into the momentum '
                        'encoder, as for the L_patch targets')
    parser.add_argument('--no-center', action='store_true',
                        help='arg-max of the raw logits, without the '
                        'L_patch teacher centre')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    model = load_model(args)
    samples = load_samples(args)
    enc = encode_samples(model, samples, with_caption=args.with_caption,
                         centered=not args.no_center)
    codes, labels = enc['codes'], enc['labels']
    show = choose_codes(codes, labels, args.num_codes, args.select)
    if len(show) == 0:  # no code is mostly on objects (an untrained model)
        print('no code has a majority of object patches; showing the most '
              'used codes')
        show = choose_codes(codes, None, args.num_codes, 'frequent')
    notes = None
    if labels is not None:
        notes = notes_from_labels(codes.codes, labels['shape+color'], show)
    out = args.out or default_out(args, 'pattern_clusters.png')
    draw_pattern_clusters(
        enc['originals'], codes, out, per_code=args.per_code,
        pick=args.pick, context=args.context, code_notes=notes, show=show,
        seed=args.seed)
    print(f'{len(samples)} images, {codes.codes.size} patches, '
          f'{int((codes.counts() > 0).sum())} of {codes.num_codes} codes '
          f'used; wrote {out} ({time.time() - start:.1f} s)')
    return dict(out=out, codes=show.tolist())


if __name__ == '__main__':
    main()
