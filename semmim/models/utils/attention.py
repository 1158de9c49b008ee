"""Attention with a key-padding mask for mmpretrain's ViT layers.

mmpretrain's ``MultiheadAttention.forward`` takes no mask. Rather than copy
the layer class, :func:`masked_attention` runs an attention module's own
parameters with a mask, through ``scaled_dot_product_attention`` as the
original does, and :class:`TransformerEncoderLayer` gives mmpretrain's ViT
layer a ``forward`` that takes the mask.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer as MMPretrainEncoderLayer
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


class TransformerEncoderLayer(MMPretrainEncoderLayer):
    """mmpretrain's ViT layer whose own ``forward`` takes a key-padding mask.

    Text injection attends over ``[visual; text]`` tokens with the text
    padding masked out. Running the mask through the layer's own
    ``forward`` (rather than calling its ``ln1`` / ``attn`` / ``ffn`` from
    outside) keeps wrappers that act at the layer's call working: FSDP
    gathers a wrapped layer's parameters in its forward, activation
    checkpointing and ``torch.compile`` wrap the call. The class keeps
    mmpretrain's name, so code that picks ViT layers by class name finds
    it. :class:`SemMIMVisionTransformer` converts its layers in place
    (:meth:`convert`); parameters and state-dict keys do not change.
    """

    @classmethod
    def convert(cls, layer: MMPretrainEncoderLayer) -> MMPretrainEncoderLayer:
        """Give ``layer`` this class's ``forward`` (in place)."""
        if not isinstance(layer, MMPretrainEncoderLayer):
            raise TypeError('expected an mmpretrain TransformerEncoderLayer, '
                            f'got {type(layer).__name__}')
        layer.__class__ = cls
        return layer

    def forward(self, x: torch.Tensor,
                attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """One pre-norm layer; with ``attn_mask`` (``(B, 1, 1, S)`` bool,
        True = may be attended to) the self-attention is masked."""
        if attn_mask is None:
            return super().forward(x)
        x = x + masked_attention(self.attn, self.ln1(x), attn_mask)
        return self.ffn(self.ln2(x), identity=x)
