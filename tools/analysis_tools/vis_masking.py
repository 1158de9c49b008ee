"""Draw text-guided masking for images and captions.

For each image and caption: the patch-text probability ``p`` that
text-guided masking samples from (momentum patch features against the
caption's text [CLS], both ITC-projected), the text-guided mask drawn from
it and a random mask of the same ratio. On Shapes-VL it also prints how
often each mask lands on objects, over the drawn images and over
``--stats-images`` images of the split.

Examples:
    # the demo: Shapes-VL test images with their first caption
    python tools/analysis_tools/vis_masking.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        work_dirs/demo/pretrain/last.pth --indices 0 1 2 3 \\
        --out work_dirs/demo/analysis/masking.png
    # any image and caption
    python tools/analysis_tools/vis_masking.py CONFIG CKPT \\
        --images my.png --captions "a red circle" --out masking.png
"""
import argparse
import os.path as osp
import time

from semmim.visualization.code_purity import BACKGROUND, scene_labels
from semmim.visualization.masking import (draw_masking, masking_maps,
                                          masking_stats)
from semmim.visualization.patch_codes import image_size_of, load_images
from semmim.visualization.samples import shapes_vl_samples
from semmim.visualization.tool_args import (add_model_args, add_sample_args,
                                            default_out, load_model,
                                            load_samples, write_json)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_sample_args(parser, num_images=4)
    parser.add_argument('--captions', nargs='+', default=None,
                        help='one caption per image (with --images; on '
                        'Shapes-VL replaces the dataset captions)')
    parser.add_argument('--caption-index', type=int, default=0,
                        help='which Shapes-VL caption of each image')
    parser.add_argument('--temperature', type=float, default=None,
                        help='tau_m to preview instead of the model\'s')
    parser.add_argument('--stats-images', type=int, default=200,
                        help='Shapes-VL images for the object-hit numbers '
                        '(0: only the drawn ones)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='PNG (default: <checkpoint dir>/'
                        'analysis/masking.png); the numbers go to the same '
                        'name with .json')
    return parser.parse_args(argv)


def object_masks(samples, grid: int):
    """``(B, h, w)`` bool object patches (any object covering a quarter of
    the patch), or None without scenes."""
    if not all(s.get('scene') for s in samples):
        return None
    return scene_labels([s['scene'] for s in samples], grid,
                        min_fraction=0.25)['object'] != BACKGROUND


def pick_captions(samples, index: int):
    caps = []
    for s in samples:
        if not s['captions']:
            raise ValueError(f'{s["image"]}: no caption (pass --captions)')
        caps.append(s['captions'][min(index, len(s['captions']) - 1)])
    return caps


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    model = load_model(args)
    samples = load_samples(args, args.captions if args.images else None)
    captions = args.captions if args.captions else \
        pick_captions(samples, args.caption_index)
    if len(captions) != len(samples):
        raise ValueError(f'{len(samples)} images but {len(captions)} '
                         'captions')
    images, originals = load_images([s['image'] for s in samples],
                                    image_size_of(model))
    maps = masking_maps(model, images, captions, args.seed, args.temperature)
    grid = maps['prob'].shape[1]
    is_object = object_masks(samples, grid)
    out = args.out or default_out(args, 'masking.png')
    draw_masking(originals, captions, maps, out, is_object)
    report = dict(images=[s['image'] for s in samples], captions=captions,
                  mask_ratio=maps['mask_ratio'],
                  temperature=maps['temperature'])
    if is_object is not None:
        report['drawn'] = masking_stats(maps, is_object)
    if not args.images and args.stats_images > 0:
        many = shapes_vl_samples(args.data_root, args.split,
                                 num_images=args.stats_images)
        imgs, _ = load_images([s['image'] for s in many],
                              image_size_of(model))
        many_maps = masking_maps(
            model, imgs, pick_captions(many, args.caption_index), args.seed,
            args.temperature)
        report['split'] = dict(num_images=len(many), **masking_stats(
            many_maps, object_masks(many, grid)))
    for key in ('drawn', 'split'):
        if key in report:
            s = report[key]
            print(f'{key}: object patches {s["object_patches"]:.3f} of all; '
                  f'p mass on objects {s["prob_on_objects"]:.3f}; masked '
                  f'patches on objects: text-guided '
                  f'{s["text_guided_on_objects"]:.3f}, random '
                  f'{s["random_on_objects"]:.3f}')
    json_out = osp.splitext(out)[0] + '.json'
    write_json(json_out, report)
    print(f'wrote {out} and {json_out} ({time.time() - start:.1f} s)')
    return dict(out=out, json=json_out, report=report)


if __name__ == '__main__':
    main()
