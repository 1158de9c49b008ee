"""Attention with a key-padding mask for mmpretrain's ViT layers.

mmpretrain's ``MultiheadAttention.forward`` takes no mask. Rather than copy
the layer class, these functions run a layer's own parameters with a mask,
through ``scaled_dot_product_attention`` as the original does.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer
from mmpretrain.models.utils import MultiheadAttention


def padding_mask_to_attn_mask(key_padding_mask: torch.Tensor) -> torch.Tensor:
    """``(B, S)`` bool, True = valid key -> ``(B, 1, 1, S)`` for SDPA."""
    return key_padding_mask[:, None, None, :].bool()


def masked_attention(attn: MultiheadAttention, x: torch.Tensor,
                     attn_mask: Optional[torch.Tensor]) -> torch.Tensor:
    """Self-attention of an mmpretrain ``MultiheadAttention`` with a mask.

    Args:
        attn (MultiheadAttention): The module whose weights are used.
        x (Tensor): Tokens ``(B, S, C)``.
        attn_mask (Tensor, optional): Boolean ``(B, 1, 1, S)``; True means
            the key may be attended to.

    Returns:
        Tensor: ``(B, S, C)``, exactly ``attn(x)`` when ``attn_mask`` is None.
    """
    if attn_mask is None:
        return attn(x)
    if attn.v_shortcut or attn.input_dims != attn.embed_dims:
        raise NotImplementedError('masked_attention supports plain '
                                  'self-attention only')
    B, S, _ = x.shape
    qkv = attn.qkv(x).reshape(B, S, 3, attn.num_heads,
                              attn.head_dims).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    dropout_p = attn.attn_drop if attn.training else 0.
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=attn_mask, dropout_p=dropout_p)
    out = out.transpose(1, 2).reshape(B, S, attn.embed_dims)
    out = attn.proj(out)
    return attn.out_drop(attn.gamma1(attn.proj_drop(out)))


def layer_forward(layer: TransformerEncoderLayer, x: torch.Tensor,
                  attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """One mmpretrain ViT layer (pre-norm), optionally with a mask."""
    if attn_mask is None:
        return layer(x)
    x = x + masked_attention(layer.attn, layer.ln1(x), attn_mask)
    return layer.ffn(layer.ln2(x), identity=x)
