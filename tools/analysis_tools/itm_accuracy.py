"""Held-out ITM accuracy: matched and ITC-hard negative pairs (Shapes-VL)

Protocol (semmim/visualization/itm_accuracy.py; docs/shapes_vl_v2.md,
"Held-out ITM accuracy"): on a split (test by default), each image is
paired with one of its captions (drawn with ``--seed``), with the ITC-hard
negative caption (the highest ITC-similarity caption of another image that
is not true of this image) and each such matched caption with the ITC-hard
negative image (the highest-similarity other image of which it is not
true). "True of": on Shapes-VL v2 ``world_v2.caption_true`` against the
scenes of ``annotations/scenes_<split>.json`` (a caption names exactly the
scene's objects, colours, shapes and quadrants); on worlds without a truth
function, "is one of the image's own captions". Matched : negative is
1 : 2, the ratio of ITM training, so always answering "no match" scores the
prior, 66.7 %. A pair counts as matched when the ITM head's
``p(match) = softmax(logits)[1]`` on the fusion [CLS] is above 0.5.

Printed and written (JSON, with every pair's ITC similarity and p(match)):
accuracy on the matched pairs, on each kind of hard negative and on all of
them, overall and balanced accuracy, the prior and the margin over it, and
the threshold-free ROC AUC of p(match) (matched against negative pairs).

Example:
    python tools/analysis_tools/itm_accuracy.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py \\
        work_dirs/demo/pretrain/epoch_2.pth \\
        --out work_dirs/demo/analysis/itm_accuracy.json
"""
import argparse
import time

from semmim.visualization.itm_accuracy import (format_accuracy,
                                               itm_accuracy,
                                               own_caption_truth,
                                               v2_caption_truth)
from semmim.visualization.patch_codes import image_size_of, load_images
from semmim.visualization.samples import shapes_vl_world
from semmim.visualization.tool_args import (add_model_args, add_sample_args,
                                            default_out, load_model,
                                            load_samples, write_json)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_sample_args(parser)
    parser.set_defaults(data_root='data/shapes_vl_v2')
    parser.add_argument('--seed', type=int, default=0,
                        help="draws each image's matched caption")
    parser.add_argument('--images-per-pass', type=int, default=64,
                        help='anchor images per fusion pass (3 pairs each)')
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--out', help='JSON (default: <checkpoint dir>/'
                        'analysis/itm_accuracy.json)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.images:
        raise SystemExit('ITM accuracy needs Shapes-VL captions: use '
                         '--data-root, not --images')
    start = time.time()
    samples = load_samples(args)
    if len(samples) < 2:
        raise SystemExit(f'{args.data_root} ({args.split}): '
                         f'{len(samples)} image(s); negatives need two')
    captions, caption_image = [], []
    for i, sample in enumerate(samples):
        if not sample['captions']:
            raise SystemExit(f'{args.data_root}/annotations '
                             f'(retrieval_{args.split}.json): '
                             f'{sample["image"]} has no caption')
        captions += sample['captions']
        caption_image += [i] * len(sample['captions'])
    world = shapes_vl_world(args.data_root)
    if world == 'v2':
        truth = v2_caption_truth(captions, [s['scene'] for s in samples])
        truth_name = 'world_v2.caption_true'
    else:
        truth = own_caption_truth(caption_image)
        truth_name = "the image's own captions"
    model = load_model(args)
    images, _ = load_images([s['image'] for s in samples],
                            image_size_of(model))
    result = itm_accuracy(model, images, captions, caption_image, truth,
                          seed=args.seed,
                          images_per_pass=args.images_per_pass,
                          progress=not args.no_progress)
    print(format_accuracy(
        result['accuracy'],
        f'{len(samples)} {args.split} images of {args.data_root} '
        f'(world {world}; true captions: {truth_name})'))
    out = args.out or default_out(args, 'itm_accuracy.json')
    report = dict(config=args.config, checkpoint=args.checkpoint,
                  data_root=args.data_root, split=args.split, world=world,
                  truth=truth_name, seed=args.seed,
                  num_images=len(samples), num_captions=len(captions),
                  captions=captions, **result)
    write_json(out, report)
    print(f'wrote {out} ({time.time() - start:.1f} s)')
    return report


if __name__ == '__main__':
    main()
