"""Does the model tell colours and shapes apart? (ITC zero-shot, Shapes-VL)

Patch codes can only be object-level if the model knows the objects'
attributes at all. For every single-object image of a Shapes-VL split the
image embedding is compared with template captions ("a red star", ...) of
every colour and shape; the tool prints how often the true colour wins
(shape fixed), the true shape wins (colour fixed) and the true caption wins
outright, each against chance; the same of the ITM head's matched
probability of each image-caption pair (models with an ITM head); and of
the MLM head on the fused image and "a red [MASK]" / "a [MASK] star"
(models with an MLM head). Then, to see which side loses an attribute, the
share of the ITC embeddings' variance explained by colour and by shape, for
the template captions (text) and the images. See
semmim/visualization/attributes.py.

On Shapes-VL v2 (``meta.json`` says ``"world": "v2"``; no single-object
images) every object of every image is probed instead: its colour and its
shape varied in the image's list caption, ITC and ITM (see
semmim/visualization/attributes_v2.py).

Example:
    python tools/analysis_tools/attribute_probe.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        work_dirs/demo/pretrain/last.pth \\
        --out work_dirs/demo/analysis/attribute_probe.json
"""
import argparse
import time

import numpy as np

from semmim.visualization.attributes import (DEFAULT_TEMPLATE,
                                             attribute_scores,
                                             embedding_variance_shares,
                                             format_scores,
                                             format_variance_shares,
                                             fusion_context, image_features,
                                             itm_match_probabilities,
                                             mlm_attribute_scores,
                                             shapes_vl_vocab, similarity_grid,
                                             single_object,
                                             template_text_features)
from semmim.visualization.attributes_v2 import (format_object_scores,
                                                object_attribute_scores)
from semmim.visualization.patch_codes import image_size_of, load_images
from semmim.visualization.samples import shapes_vl_world
from semmim.visualization.tool_args import (add_model_args, add_sample_args,
                                            default_out, load_model,
                                            load_samples, write_json)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_sample_args(parser)
    parser.add_argument('--template', default=DEFAULT_TEMPLATE,
                        help='caption template with {color} and {shape} '
                        '(default: %(default)r)')
    parser.add_argument('--out', help='JSON (default: <checkpoint dir>/'
                        'analysis/attribute_probe.json)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.images:
        raise SystemExit('the attribute probe needs Shapes-VL ground truth: '
                         'use --data-root, not --images')
    for field in ('{color}', '{shape}'):
        if field not in args.template:
            raise SystemExit(f'--template {args.template!r} has no {field}')
    start = time.time()
    # without meta.json: v1, and shapes_vl_vocab says what is missing
    if shapes_vl_world(args.data_root) == 'v2':
        return probe_v2(args, start)
    samples = single_object(load_samples(args))
    if not samples:
        raise SystemExit(f'{args.data_root} ({args.split}): no single-object '
                         'image among the selected ones')
    colors, shapes = shapes_vl_vocab(args.data_root)
    model = load_model(args)
    images, _ = load_images([s['image'] for s in samples],
                            image_size_of(model))
    text = template_text_features(model, colors, shapes, args.template)
    image = image_features(model, images)
    objects = [s['scene']['objects'][0] for s in samples]
    color_idx = np.array([colors.index(o['color']) for o in objects])
    shape_idx = np.array([shapes.index(o['shape']) for o in objects])
    scores = attribute_scores(similarity_grid(image, text, len(shapes)),
                              color_idx, shape_idx)
    shares = embedding_variance_shares(text, image, len(shapes), color_idx,
                                       shape_idx)
    itm = mlm = None
    has_itm = getattr(model, 'itm_head', None) is not None
    has_mlm = getattr(model, 'mlm_head', None) is not None
    if has_itm or has_mlm:
        # one image pass for both fusion-encoder probes
        context = fusion_context(model, images)
    if has_itm:
        itm = attribute_scores(
            itm_match_probabilities(model, context, colors, shapes,
                                    args.template), color_idx, shape_idx)
    if has_mlm:
        mlm = mlm_attribute_scores(model, context, colors, shapes, color_idx,
                                   shape_idx)
    print(format_scores(scores, mlm, itm))
    print(format_variance_shares(shares))
    out = args.out or default_out(args, 'attribute_probe.json')
    report = dict(config=args.config, checkpoint=args.checkpoint,
                  split=args.split, template=args.template, colors=colors,
                  shapes=shapes, scores=scores, itm=itm, mlm=mlm,
                  variance_shares=shares)
    write_json(out, report)
    print(f'wrote {out} ({time.time() - start:.1f} s)')
    return report


def probe_v2(args, start: float) -> dict:
    """Shapes-VL v2: every object of every image, its colour and shape
    varied in the image's list caption (semmim/visualization/
    attributes_v2.py)."""
    samples = load_samples(args)
    colors, shapes = shapes_vl_vocab(args.data_root)
    model = load_model(args)
    images, _ = load_images([s['image'] for s in samples],
                            image_size_of(model))
    scores = object_attribute_scores(model, images,
                                     [s['scene'] for s in samples], colors,
                                     shapes)
    print(format_object_scores(scores))
    out = args.out or default_out(args, 'attribute_probe.json')
    report = dict(config=args.config, checkpoint=args.checkpoint,
                  split=args.split, world='v2', colors=colors,
                  shapes=shapes, num_images=len(samples), **scores)
    write_json(out, report)
    print(f'wrote {out} ({time.time() - start:.1f} s)')
    return report


if __name__ == '__main__':
    main()
