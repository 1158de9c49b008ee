"""Convert a CLIP ViT checkpoint into SemMIM's image-encoder weights.

Reads OpenAI's CLIP (the TorchScript ``ViT-B-16.pt`` or a plain state dict),
open_clip (``visual.*``, optionally wrapped in ``state_dict`` with
``module.`` prefixes) or Hugging Face's ``CLIPVisionModel``/``CLIPModel``
(a local directory or a ``.safetensors``/``.bin`` file), and writes
``{'state_dict': {'vision_backbone.<mmpretrain ViT key>': ...}, 'meta'}``.

Example::

    python tools/model_converters/clip_to_semmim.py \
        ~/.cache/clip/ViT-B-16.pt data/pretrained/clip_vit-b16_semmim.pth
    python tools/model_converters/clip_to_semmim.py \
        data/pretrained/clip-vit-base-patch16 \
        data/pretrained/clip_vit-b16_semmim.pth --verify

A config reads it with ``vision_backbone=dict(init_cfg=dict(
type='Pretrained', checkpoint=..., prefix='vision_backbone.'))``; see
docs/pretrained_weights.md.
"""
import argparse
import os.path as osp
import sys

import torch

try:
    from semmim.models.utils import checkpoint_converters as cc
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0,
                    osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from semmim.models.utils import checkpoint_converters as cc

DTYPES = dict(fp32=torch.float32, fp16=torch.float16, keep=None)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='CLIP ViT (OpenAI / open_clip / Hugging Face) -> '
        'SemMIM image encoder')
    parser.add_argument('src', help='CLIP checkpoint file or Hugging Face '
                        'model directory')
    parser.add_argument('dst', help='output .pth file')
    parser.add_argument('--format', default='auto',
                        choices=['auto', 'openai', 'hf'],
                        help="key layout of src ('openai' also covers "
                        'open_clip); default: detected')
    parser.add_argument('--dtype', default='fp32', choices=list(DTYPES),
                        help='dtype of the written weights (default fp32; '
                        "OpenAI's archives are fp16)")
    parser.add_argument('--verify', action='store_true',
                        help='compare our encoder with transformers\' '
                        'CLIPVisionModel on a random image (src must be a '
                        'Hugging Face directory with config.json)')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='--verify tolerance on the max abs difference, '
                        'relative to the largest activation (default 1e-4)')
    return parser.parse_args(argv)


def vit_arch(state: dict, num_heads: int = None) -> dict:
    """mmpretrain ``arch`` dict of converted (unprefixed) ViT weights; CLIP
    uses 64-wide heads when the config does not say."""
    dims = state['cls_token'].shape[-1]
    return dict(
        embed_dims=dims,
        num_layers=len({k.split('.')[1] for k in state
                        if k.startswith('layers.')}),
        num_heads=num_heads or dims // 64,
        feedforward_channels=state['layers.0.ffn.layers.0.0.weight'].shape[0])


def verify(src: str, state: dict, atol: float) -> bool:
    """Our encoder vs transformers' ``CLIPVisionModel`` from ``src``."""
    from transformers import CLIPVisionModel

    from semmim.models.backbones.semmim_vit import SemMIMVisionTransformer
    from semmim.utils import register_all_modules
    register_all_modules()  # the activation is built by mmpretrain's name
    if not osp.isfile(osp.join(src, 'config.json')):
        print('--verify needs a Hugging Face directory with config.json; '
              'skipped (the OpenAI/open_clip layout is covered by '
              'tests/models/utils/test_checkpoint_converters.py)')
        return True
    ref = CLIPVisionModel.from_pretrained(
        src, local_files_only=True, attn_implementation='eager').eval()
    cfg = ref.config
    act = dict(quick_gelu='QuickGELU', gelu='GELU')[cfg.hidden_act]
    ours = SemMIMVisionTransformer(
        arch=vit_arch(state, cfg.num_attention_heads),
        img_size=cfg.image_size, patch_size=cfg.patch_size,
        layer_cfgs=dict(act_cfg=dict(type=act)),
        norm_cfg=dict(type='LN', eps=cfg.layer_norm_eps)).eval()
    ours.load_state_dict(state, strict=False)
    x = torch.randn(2, 3, cfg.image_size, cfg.image_size,
                    generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = ref.vision_model.post_layernorm(ref(x).last_hidden_state)
        got = ours(x)[0]
    diff = (got - want).abs().max().item()
    scale = want.abs().max().item()
    ok = diff <= atol * max(scale, 1.0)
    print(f'verify: max |ours - CLIPVisionModel| = {diff:.3g} over all '
          f'tokens (largest activation {scale:.3g}): '
          f'{"OK" if ok else "MISMATCH"}')
    return ok


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f'reading {args.src}')
    source = cc.read_state_dict(args.src)
    state, notes = cc.convert_clip(
        source, fmt=args.format, dtype=DTYPES[args.dtype])
    for note in notes:
        print(f'  {note}')
    plain = {k[len(cc.VISION_PREFIX):]: v for k, v in state.items()}
    arch = vit_arch(plain)
    grid = plain['pos_embed'].shape[1] - 1
    patch = plain['patch_embed.projection.weight'].shape[-1]
    side = int(round(grid**0.5)) * patch
    print(f'  ViT: {arch}, patch {patch}, trained at {side} px '
          f'({grid} patches); the [MASK] token is not in CLIP and stays '
          'random')
    if notes[0] == 'format: openai':
        print('  note: our encoder uses QuickGELU (OpenAI CLIP). open_clip '
              "models trained with GELU (names without '-quickgelu') need "
              "layer_cfgs=dict(act_cfg=dict(type='GELU')) in the config")
    meta = dict(
        converter='tools/model_converters/clip_to_semmim.py',
        source=osp.abspath(args.src), notes=notes, arch=arch,
        patch_size=patch, img_size=side)
    cc.save_converted(state, args.dst, meta)
    print(f'wrote {len(state)} tensors to {args.dst}\n'
          'config: vision_backbone=dict(init_cfg=dict(type=\'Pretrained\', '
          f'checkpoint={args.dst!r}, prefix={cc.VISION_PREFIX!r}))')
    if args.verify and not verify(args.src, plain, args.atol):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
