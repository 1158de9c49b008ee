"""Time the ITM re-ranking of two-stage retrieval, and extrapolate it.

Two-stage retrieval scores every image-text pair with ITC (one matrix
product), then fuses the ``topk`` best candidates of every query with the
fusion encoder and scores them with the ITM head: ``k * (I + T)`` fused
pairs for ``I`` images and ``T`` captions, against ``2 * I * T`` for ITM on
every pair in both directions. The fused pairs dominate the evaluation.

Two measurements, in one run:

* ``--pairs N`` (default 32): throughput (pairs/s) of ``model.itm_scores``
  with the config's model (random weights unless ``--checkpoint``) on
  ``N`` random pairs shaped like the real ones: image tokens of the
  config's image size, text padded to the tokenizer's ``max_length``.
  Measured twice: text-to-image (each pair a different image, the worst
  case of that direction) and image-to-text (one image with its ``k``
  candidate texts; the fusion encoder computes the image's keys and values
  once). Extrapolated to ``--images`` / ``--texts`` (default COCO 5K:
  5,000 / 25,000) with the config's ``topk``.
* ``--test-split`` (with a checkpoint): features of the config's whole
  test split, then ``model.predict_all`` timed with the config's ``topk``
  and with ``topk=0`` (ITC only); the difference per query is the
  re-ranking cost measured end to end.

Examples:
    # full size (ViT-B/16 at 384 px + BERT-base), COCO 5K extrapolation
    python tools/analysis_tools/benchmark_retrieval.py \
        configs/retrieval/semmim-retrieval_vit-b16_8xb32-6e_coco.py
    # the Shapes-VL model on its test split
    python tools/analysis_tools/benchmark_retrieval.py \
        configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl.py \
        --checkpoint \
        work_dirs/semmim-retrieval_small_1xb64_shapes-vl/iter_200.pth \
        --test-split --images 500 --texts 2500
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
        description='ITM re-ranking cost of two-stage retrieval')
    parser.add_argument('config', help='a retrieval config')
    parser.add_argument('--checkpoint', help='weights (default: random)')
    parser.add_argument('--pairs', type=int, default=32,
                        help='random pairs scored for the throughput')
    parser.add_argument('--images', type=int, default=5000,
                        help='images of the extrapolated evaluation')
    parser.add_argument('--texts', type=int, default=25000,
                        help='captions of the extrapolated evaluation')
    parser.add_argument('--test-split', action='store_true',
                        help="also time predict_all on the config's test "
                        'split (needs the data)')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def _sync(device):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


@torch.no_grad()
def itm_throughput(model, num_pairs: int, device,
                   texts_per_image: int = 1) -> float:
    """Pairs per second of ``model.itm_scores`` on random inputs, each
    image paired with ``texts_per_image`` texts."""
    vit = model.vision_backbone
    size = vit.patch_resolution if hasattr(vit, 'patch_resolution') else None
    tokens = 1 + (size[0] * size[1] if size else 196)
    width = model.fusion_encoder.adapt_image(
        torch.zeros(1, 1, vit.embed_dims, device=device)).shape[-1]
    length = model.data_preprocessor.max_length
    g = torch.Generator().manual_seed(0)
    num_images = -(-num_pairs // texts_per_image)
    image = torch.randn(num_images, tokens, width, generator=g).to(device)
    index = torch.arange(num_images, device=device).repeat_interleave(
        texts_per_image)[:num_pairs]
    text = torch.randn(num_pairs, length, width, generator=g).to(device)
    mask = torch.ones(num_pairs, length, dtype=torch.long, device=device)
    warm = min(num_pairs, model.rerank_batch)
    model.itm_scores(image, text[:warm], mask[:warm], image_index=index[:warm])
    _sync(device)
    start = time.perf_counter()
    model.itm_scores(image, text, mask, image_index=index)
    _sync(device)
    return num_pairs / (time.perf_counter() - start), tokens, length


@torch.no_grad()
def test_split_timing(cfg, model, device):
    """Seconds of ``predict_all`` with the model's topk and with 0 on the
    test split, and the split's size."""
    from mmengine.runner import Runner
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.num_workers = 0
    loader_cfg.persistent_workers = False
    loader = Runner.build_dataloader(loader_cfg)
    parts = {}
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        for k, v in model(**data, mode='tensor').items():
            parts.setdefault(k, []).append(v)
    feats = {k: torch.cat(v) for k, v in parts.items()}
    topk = model.topk
    times = {}
    for k in (topk, 0):
        model.topk = k
        _sync(device)
        start = time.perf_counter()
        model.predict_all(feats)
        _sync(device)
        times[k] = time.perf_counter() - start
    model.topk = topk
    return times, feats['image_feat'].shape[0], feats['text_feat'].shape[0]


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg, args.checkpoint, args.device)
    if model.itm_head is None or model.topk == 0:
        raise SystemExit(f'{args.config}: model.topk is 0 or there is no '
                         'itm_head: nothing is re-ranked')
    k = model.topk
    print(f'config: {args.config}')
    print(f'device {args.device}, {torch.get_num_threads()} threads, '
          f'top-{k} re-ranked, rerank_batch {model.rerank_batch}')

    rate, tokens, length = itm_throughput(model, args.pairs, args.device)
    rate_i2t, _, _ = itm_throughput(model, args.pairs, args.device,
                                    texts_per_image=min(k, args.pairs))
    n_img, n_txt = args.images, args.texts
    two_stage = k * (n_img + n_txt)
    hours = (k * n_txt / rate + k * n_img / rate_i2t) / 3600
    exhaustive = 2 * n_img * n_txt
    print(f'ITM scoring ({args.pairs} pairs of {tokens} image tokens x '
          f'{length} text tokens): {rate:.1f} pairs/s with a different '
          f'image per pair, {rate_i2t:.1f} pairs/s with one image per '
          f'{min(k, args.pairs)} texts ({rate_i2t / rate:.2f}x)')
    print(f'  re-ranking: {k / rate * 1000:.1f} ms per text query (worst '
          f'case), {k / rate_i2t * 1000:.1f} ms per image query')
    print(f'  {n_img} images / {n_txt} captions: {two_stage:,} fused pairs, '
          f'{hours:.1f} h; ITM on all pairs both ways: '
          f'{exhaustive:,} pairs, {exhaustive / rate / 3600:.1f} h '
          f'({exhaustive / rate / 3600 / hours:.0f}x)')

    if args.test_split:
        times, n_img, n_txt = test_split_timing(cfg, model, args.device)
        rerank = times[k] - times[0]
        print(f'test split ({n_img} images, {n_txt} captions): predict_all '
              f'{times[k]:.2f} s with top-{k}, {times[0]:.3f} s ITC only; '
              f're-ranking {rerank * 1000 / (n_img + n_txt):.2f} ms per '
              f'query ({k * (n_img + n_txt) / max(rerank, 1e-9):.0f} '
              'pairs/s)')


if __name__ == '__main__':
    main()
