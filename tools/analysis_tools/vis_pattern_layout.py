"""Draw the pattern layout of full images (paper Fig. 3).

Each row: an image, its patch code map (one colour per code; codes are the
arg-max of the momentum encoder and encoding head) and the codes over the
image with outlines where neighbouring patches differ; a legend names the
most frequent codes. On Shapes-VL the legend adds each code's majority
object label, measured over ``--ref-images`` images of the split.

Example (the demo):
    python tools/analysis_tools/vis_pattern_layout.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        work_dirs/demo/pretrain/last.pth --indices 0 1 2 3 \\
        --out work_dirs/demo/analysis/pattern_layout.png
"""
import argparse
import time

from semmim.visualization.patch_codes import PatchCodes, encode_samples
from semmim.visualization.patterns import (draw_pattern_layout,
                                           notes_from_labels)
from semmim.visualization.samples import shapes_vl_samples
from semmim.visualization.tool_args import (add_model_args, add_sample_args,
                                            default_out, load_model,
                                            load_samples)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_sample_args(parser, num_images=4)
    parser.add_argument('--out', help='PNG (default: <checkpoint dir>/'
                        'analysis/pattern_layout.png)')
    parser.add_argument('--legend', type=int, default=12,
                        help='codes in the legend')
    parser.add_argument('--ref-images', type=int, default=200,
                        help='Shapes-VL images of the split over which '
                        'each code\'s majority label is measured (0: none)')
    parser.add_argument('--with-caption', action='store_true',
                        help='inject the first caption into the momentum '
                        'encoder, as for the L_patch targets')
    parser.add_argument('--no-center', action='store_true',
                        help='arg-max of the raw logits, without the '
                        'L_patch teacher centre')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    model = load_model(args)
    samples = load_samples(args)
    options = dict(with_caption=args.with_caption,
                   centered=not args.no_center)
    enc = encode_samples(model, samples, **options)
    codes = enc['codes']
    notes = None
    if not args.images and args.ref_images > 0:
        ref = encode_samples(
            model, shapes_vl_samples(args.data_root, args.split,
                                     num_images=args.ref_images), **options)
        used = sorted(set(codes.codes.ravel().tolist()))
        notes = notes_from_labels(ref['codes'].codes,
                                  ref['labels']['shape+color'], used)
    out = args.out or default_out(args, 'pattern_layout.png')
    draw_pattern_layout(
        enc['originals'], PatchCodes(codes.codes, codes.confidence,
                                     codes.num_codes),
        out, legend=args.legend, code_notes=notes, captions=enc['captions'])
    print(f'{len(samples)} images, {len(set(codes.codes.ravel().tolist()))} '
          f'codes; wrote {out} ({time.time() - start:.1f} s)')
    return dict(out=out, num_images=len(samples))


if __name__ == '__main__':
    main()
