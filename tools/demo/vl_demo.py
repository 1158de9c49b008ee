"""Try a trained model on a few images: retrieval, captioning, VQA.

Examples (Shapes-VL: ``bash tools/demo.sh`` makes the data and the
pre-training checkpoint, ``bash tools/demo/downstream_shapes_vl.sh`` the
fine-tuned ones)::

    # texts for an image, from the captions of the test split (zero-shot)
    python tools/demo/vl_demo.py retrieve \\
        semmim-retrieval_small_zeroshot-itc_shapes-vl-v2 \\
        work_dirs/demo/pretrain/last.pth \\
        --image data/shapes_vl_v2/images/test/000000.png \\
        --texts data/shapes_vl_v2/annotations/retrieval_test.json
    # images for a text, from a folder
    python tools/demo/vl_demo.py retrieve \\
        semmim-retrieval_small_zeroshot-itc_shapes-vl-v2 \\
        work_dirs/demo/pretrain/last.pth \\
        --text "a red circle in the top left" \\
        --images data/shapes_vl_v2/images/test
    # a caption per image
    python tools/demo/vl_demo.py caption \\
        configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2.py \\
        work_dirs/demo/downstream/caption/iter_160.pth \\
        data/shapes_vl_v2/images/test/000000.png
    # answers to questions about one image
    python tools/demo/vl_demo.py vqa \\
        configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py \\
        work_dirs/demo/downstream/vqa/iter_500.pth \\
        data/shapes_vl_v2/images/test/000000.png \\
        "how many objects are there?" "what color is the circle?"

CONFIG may also be a model name (``python -c "from semmim.apis import
list_models; print(list_models())"``). A checkpoint is read weights-only
and must fill at least 90% of the model's parameters with the right shape
(``checkpoint_match`` in the config). ``--out FILE.json`` also writes the
results; ``--show-dir DIR`` saves a picture of each.
"""
import argparse
import json
import sys
from typing import List, Optional


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='task', required=True)

    def common(p):
        p.add_argument('config', help='model config, or a model name')
        p.add_argument('checkpoint', help='checkpoint file')
        p.add_argument('--device', help='defaults to CUDA when available')
        p.add_argument('--out', help='also write the results to this JSON')
        p.add_argument('--show-dir',
                       help='save a picture of each result in this folder')

    p = sub.add_parser('retrieve', help='texts for an image, or images '
                       'for a text')
    common(p)
    p.add_argument('--prototype-cache',
                   help='features of the gallery: read if the file exists, '
                   'else written')
    p.add_argument('--image', nargs='+', help='query image(s)')
    p.add_argument('--texts', nargs='+',
                   help='gallery texts, or one JSON file of them')
    p.add_argument('--text', nargs='+', help='query text(s)')
    p.add_argument('--images', nargs='+',
                   help='gallery images, or one folder of them')
    p.add_argument('--topk', type=int, default=5)

    p = sub.add_parser('caption', help='caption images')
    common(p)
    p.add_argument('images', nargs='+', help='images, or a folder')

    p = sub.add_parser('vqa', help='answer questions about an image')
    common(p)
    p.add_argument('image')
    p.add_argument('questions', nargs='+')
    args = parser.parse_args(argv)
    if args.task == 'retrieve':
        i2t = args.image is not None and args.texts is not None
        t2i = args.text is not None and args.images is not None
        if i2t == t2i:
            parser.error('retrieve needs either --image with --texts or '
                         '--text with --images')
    return args


def one_or_list(values: List[str]):
    return values[0] if len(values) == 1 else values


def run(args: argparse.Namespace) -> list:
    from semmim import apis
    shown = dict(show_dir=args.show_dir)
    if args.task == 'retrieve' and args.image is not None:
        inferencer = apis.ImageToTextRetrievalInferencer(
            args.config, prototype=one_or_list(args.texts),
            prototype_cache=args.prototype_cache,
            pretrained=args.checkpoint, device=args.device)
        results = inferencer(args.image, topk=args.topk, **shown)
        for image, matches in zip(args.image, results):
            print(f'{image}:')
            for m in matches:
                print(f'  {m["match_score"]:8.3f}  {m["text"]}')
    elif args.task == 'retrieve':
        inferencer = apis.TextToImageRetrievalInferencer(
            args.config, prototype=one_or_list(args.images),
            prototype_cache=args.prototype_cache,
            pretrained=args.checkpoint, device=args.device)
        results = inferencer(args.text, topk=args.topk, **shown)
        for text, matches in zip(args.text, results):
            print(f'{text!r}:')
            for m in matches:
                print(f'  {m["match_score"]:8.3f}  '
                      f'{m["sample"].get("img_path")}')
    elif args.task == 'caption':
        from semmim.apis.base import list_images
        images = list_images(one_or_list(args.images))
        inferencer = apis.ImageCaptionInferencer(
            args.config, args.checkpoint, device=args.device)
        results = inferencer(images, **shown)
        for image, r in zip(images, results):
            r['image'] = image
            print(f'{image}: {r["pred_caption"]}')
    else:
        inferencer = apis.VisualQuestionAnsweringInferencer(
            args.config, args.checkpoint, device=args.device)
        results = inferencer(args.image, args.questions, **shown)
        for r in results:
            print(f'Q: {r["question"]}\nA: {r["pred_answer"]}')
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
    return results


def main(argv: Optional[List[str]] = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == '__main__':
    from semmim.engine.config_checks import run_tool
    sys.exit(run_tool(main))  # an error is one line (no traceback)
