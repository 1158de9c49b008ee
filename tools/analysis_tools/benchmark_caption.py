"""Time caption generation (beam search) with and without the decoder's
key-value cache, in the same run, on the same images.

Without the cache every step re-runs the decoder over the whole prefix
(self- and cross-attention over all earlier tokens); with it each step
feeds only the newest token. The script also checks that both produce the
same tokens.

Examples:
    python tools/analysis_tools/benchmark_caption.py \
        configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py \
        --checkpoint \
        work_dirs/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl/iter_160.pth
    # random weights, random images, the COCO model at 384 px
    python tools/analysis_tools/benchmark_caption.py \
        configs/caption/semmim-caption_vit-b16_8xb64-ce-5e_coco.py \
        --num-images 8 --batch-size 4 --min-length 25
"""
import argparse
import time

import torch
from mmengine.config import Config, DictAction

import semmim  # noqa: F401  (applies the compat fixes)
from semmim.apis.base import build_model
from semmim.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(
        description='ms per image of beam search with / without the '
        'key-value cache')
    parser.add_argument('config', help='a caption config')
    parser.add_argument('--checkpoint', help='weights (default: random)')
    parser.add_argument('--num-images', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=25)
    parser.add_argument(
        '--data', choices=['test', 'random'], default='test',
        help="images of the config's test split, or random pixels")
    parser.add_argument('--repeat', type=int, default=1,
                        help='timed passes per setting (the best is kept)')
    parser.add_argument(
        '--min-length', type=int,
        help='override generation_cfg.min_length (e.g. = max_length to time '
        'full-length captions of an untrained model)')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def image_batches(cfg, model, args):
    """Preprocessed image batches (``(B, 3, H, W)`` float tensors)."""
    if args.data == 'random':
        size = cfg.model.vision_backbone.get('img_size', 224)
        g = torch.Generator().manual_seed(0)
        for s in range(0, args.num_images, args.batch_size):
            n = min(args.batch_size, args.num_images - s)
            raw = torch.randint(0, 256, (n, 3, size, size), generator=g,
                                dtype=torch.uint8)
            yield model.data_preprocessor(dict(inputs=raw))['inputs'][
                'images']
        return
    from mmengine.runner import Runner
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.batch_size = args.batch_size
    loader_cfg.num_workers = 0
    loader_cfg.persistent_workers = False
    loader = Runner.build_dataloader(loader_cfg)
    seen = 0
    for batch in loader:
        images = model.data_preprocessor(batch)['inputs']['images']
        images = images[:args.num_images - seen]
        seen += images.shape[0]
        yield images
        if seen >= args.num_images:
            break


@torch.no_grad()
def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.min_length is not None:
        cfg.model.generation_cfg.min_length = args.min_length
    model = build_model(cfg, args.checkpoint, args.device)
    contexts = [model.encode_image(x.to(args.device))
                for x in image_batches(cfg, model, args)]
    num = sum(c.shape[0] for c in contexts)
    gen = model.generation_cfg

    def run(use_cache):
        best, outputs = float('inf'), None
        for _ in range(args.repeat):
            if args.device.startswith('cuda'):
                torch.cuda.synchronize()
            start = time.perf_counter()
            outputs = [model.generate(c, use_cache=use_cache)
                       for c in contexts]
            if args.device.startswith('cuda'):
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - start)
        return best * 1000 / num, outputs

    run(True)  # warm-up (allocations, lazy initialisation)
    ms_cache, out_cache = run(True)
    ms_plain, out_plain = run(False)
    same = all(torch.equal(a, b) for a, b in zip(out_cache, out_plain))
    lengths = torch.cat([
        model.generated_masks(o)[0][:, model.num_given:].sum(1).float()
        for o in out_cache])
    print(f'config: {args.config}')
    print(f'{num} images ({args.data}), batch {args.batch_size}, beam '
          f'{gen["num_beams"]}, length {gen["min_length"]}-'
          f'{gen["max_length"]} (generated: mean '
          f'{lengths.mean():.1f} tokens), device {args.device}, '
          f'{torch.get_num_threads()} threads')
    print(f'beam search with key-value cache:    {ms_cache:9.1f} ms/image')
    print(f'beam search without key-value cache: {ms_plain:9.1f} ms/image')
    print(f'speed-up of the cache: {ms_plain / ms_cache:.2f}x; same tokens: '
          f'{"yes" if same else "NO"}')


if __name__ == '__main__':
    main()
