"""Purity of patch codes against Shapes-VL ground truth, with baselines.

Each patch of a Shapes-VL split gets the arg-max code of the momentum
encoder and encoding head, and a label from the scene (the object covering
at least ``--min-fraction`` of the patch, else background). Purity (sum
over codes of their majority label's size / patches) is reported for the
labels object-vs-background, shape, colour and shape+colour, over all
patches and over object patches only, for the model's codes, the same codes
shuffled (same code-size histogram) and k-means on raw patch pixels with as
many clusters as codes used. See semmim/visualization/code_purity.py.

Example:
    python tools/analysis_tools/code_purity.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        work_dirs/demo/pretrain/last.pth --num-images 500 \\
        --out work_dirs/demo/analysis/code_purity.json
"""
import argparse
import time

from semmim.visualization.code_purity import (compare_purity, format_probe,
                                              format_purity, probe_features)
from semmim.visualization.patch_codes import (encode_samples, patch_features,
                                              patch_pixels, patch_size_of)
from semmim.visualization.tool_args import (add_model_args, add_sample_args,
                                            default_out, load_model,
                                            load_samples, write_json)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_sample_args(parser, num_images=500)
    parser.add_argument('--min-fraction', type=float, default=0.5,
                        help='coverage of a patch by one object for the '
                        'patch to be labelled with it (default: %(default)s)')
    parser.add_argument('--with-caption', action='store_true',
                        help='inject the first caption into the momentum '
                        'encoder, as for the L_patch targets')
    parser.add_argument('--no-center', action='store_true',
                        help='arg-max of the raw logits, without the '
                        'L_patch teacher centre')
    parser.add_argument('--repeats', type=int, default=10,
                        help='shuffles of the random baseline')
    parser.add_argument('--no-kmeans', action='store_true')
    parser.add_argument('--probe', action='store_true',
                        help='diagnostic: also cluster the patch features '
                        'of every layer (both encoders) and the head '
                        'bottleneck with k-means, to see where shape and '
                        'colour are lost')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='JSON (default: <checkpoint dir>/'
                        'analysis/code_purity.json)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.images:
        raise SystemExit('purity needs Shapes-VL ground truth: use '
                         '--data-root, not --images')
    start = time.time()
    model = load_model(args)
    samples = load_samples(args)
    enc = encode_samples(model, samples, with_caption=args.with_caption,
                         centered=not args.no_center,
                         min_fraction=args.min_fraction)
    pixels = None if args.no_kmeans else \
        patch_pixels(enc['images'], patch_size_of(model))
    result = compare_purity(enc['codes'].codes, enc['labels'], pixels,
                            repeats=args.repeats, seed=args.seed)
    print(format_purity(result))
    # near-uniform teacher distributions (loss_patch ~ ln K) mean the codes
    # are noise on flat logits, whatever their purity
    conf = float(enc['codes'].confidence.mean())
    uniform = 1. / enc['codes'].num_codes
    print(f'teacher max probability per patch: mean {conf:.4f} '
          f'(uniform over K={enc["codes"].num_codes}: {uniform:.4f})')
    if conf < 2 * uniform:
        print('warning: the code distributions are nearly uniform (the '
              'self-distillation targets collapsed); the codes carry little '
              'of what the model learned')
    probe = None
    if args.probe:
        k = result['objects']['num_codes']
        probe = probe_features(
            patch_features(model, enc['images']), enc['labels'], k,
            patch_pixels(enc['images'], patch_size_of(model)), args.seed)
        print(format_probe(probe, k))
    out = args.out or default_out(args, 'code_purity.json')
    report = dict(config=args.config, checkpoint=args.checkpoint,
                  split=args.split, num_images=len(samples),
                  num_codes=enc['codes'].num_codes,
                  min_fraction=args.min_fraction,
                  with_caption=args.with_caption,
                  centered=not args.no_center,
                  mean_max_probability=conf, purity=result)
    if probe is not None:
        report['probe'] = probe
    write_json(out, report)
    print(f'wrote {out} ({time.time() - start:.1f} s)')
    return report


if __name__ == '__main__':
    main()
