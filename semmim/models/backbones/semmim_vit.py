"""The image encoder E_I: mmpretrain's ViT with a [MASK] token, text
injection into the last layers, a shared trunk and activation checkpointing.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed
from torch.utils.checkpoint import checkpoint

from semmim.registry import MODELS
from ..utils.attention import (TransformerEncoderLayer,
                               padding_mask_to_attn_mask)
from ..utils.pretrained_init import check_pretrained_file


@MODELS.register_module()
class SemMIMVisionTransformer(VisionTransformer):
    """ViT image encoder of SemMIM (CLIP style by default: pre-norm,
    QuickGELU, no patch-embedding bias, final LayerNorm on every token).

    Extends mmpretrain's ``VisionTransformer`` with

    * a learnable [MASK] token that replaces the embeddings of masked patches
      (before the position embedding is added, as in BEiT/SimMIM);
    * text injection: from layer ``text_inject_start`` (1-based) on, text
      features are concatenated to the visual tokens, attended to through a
      key-padding mask, and dropped at the output;
    * a shared trunk: :meth:`forward_trunk` runs the embeddings and the first
      ``num_layers - num_text_layers`` layers, :meth:`forward_head_layers`
      the rest, so a caller can run the last layers twice on one trunk
      (the momentum encoder's visual-only and text-injected passes);
    * per-layer activation checkpointing (``with_cp``).

    Args:
        arch (str | dict): mmpretrain ViT arch. Defaults to 'base'.
        text_inject_start (int, optional): First layer (1-based) that sees
            the text; ``None`` disables injection. The paper's best is the
            last layer (12 for ViT-B). Defaults to None.
        text_dims (int, optional): Width of the injected text features.
            When it differs from the ViT width, a linear layer
            (``text_adapter``) maps the text into the ViT width. Defaults to
            the ViT width (no adapter).
        with_cp (bool): Checkpoint each layer's activations (saves memory,
            costs one more forward in backward). Defaults to False.
        pre_norm (bool): CLIP's LayerNorm before the first layer.
            Defaults to True.
        layer_cfgs (dict): Per-layer settings; defaults to QuickGELU (CLIP)
            through the fused SiLU kernel (:class:`FastQuickGELU`).
        norm_cfg (dict): Defaults to ``dict(type='LN', eps=1e-5)`` (CLIP).
        **kwargs: See mmpretrain's ``VisionTransformer``.
    """

    def __init__(self,
                 arch='base',
                 text_inject_start: Optional[int] = None,
                 text_dims: Optional[int] = None,
                 with_cp: bool = False,
                 pre_norm: bool = True,
                 layer_cfgs: dict = dict(act_cfg=dict(type='FastQuickGELU')),
                 norm_cfg: dict = dict(type='LN', eps=1e-5),
                 out_type: str = 'raw',
                 **kwargs):
        super().__init__(
            arch=arch,
            pre_norm=pre_norm,
            layer_cfgs=layer_cfgs,
            norm_cfg=norm_cfg,
            out_type=out_type,
            **kwargs)
        if not self.final_norm:
            raise ValueError('SemMIMVisionTransformer needs final_norm=True')
        if text_inject_start is not None and not (
                1 <= text_inject_start <= self.num_layers):
            raise ValueError(f'text_inject_start must be in [1, '
                             f'{self.num_layers}] or None, got '
                             f'{text_inject_start}')
        self.text_adapter = None
        if text_dims is not None and text_dims != self.embed_dims:
            self.text_adapter = nn.Linear(text_dims, self.embed_dims)
        self.text_inject_start = text_inject_start
        self.with_cp = with_cp
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        # layers whose own forward takes the text's padding mask (so FSDP,
        # checkpointing and compile see every call)
        for layer in self.layers:
            TransformerEncoderLayer.convert(layer)

    @property
    def num_text_layers(self) -> int:
        """How many of the last layers see the text (0 without injection)."""
        if self.text_inject_start is None:
            return 0
        return self.num_layers - self.text_inject_start + 1

    def init_weights(self):
        check_pretrained_file(self.init_cfg, 'clip', type(self).__name__)
        # before the (possibly pretrained) load: a checkpoint that has a
        # [MASK] token overrides it, one without (CLIP) keeps this init
        trunc_normal_(self.mask_token, std=0.02)
        super().init_weights()

    # ------------------------------------------------------------------
    def embed(self, x: torch.Tensor,
              mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Patch + [CLS] + position embeddings, pre-norm.

        Args:
            x (Tensor): Images ``(B, 3, H, W)``.
            mask (Tensor, optional): ``(B, N)`` bool, True = masked patch.

        Returns:
            Tensor: Tokens ``(B, 1 + N, C)``.
        """
        B = x.shape[0]
        x, patch_resolution = self.patch_embed(x)
        if mask is not None:
            if mask.shape != x.shape[:2]:
                raise ValueError(f'mask of shape {tuple(mask.shape)} does not '
                                 f'match {tuple(x.shape[:2])} patches')
            w = mask.unsqueeze(-1).type_as(x)
            x = x * (1. - w) + self.mask_token.expand_as(x) * w
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1)
        x = x + resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        return self.pre_norm(self.drop_after_pos(x))

    def _run_layers(self, x: torch.Tensor, start: int, end: int,
                    attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        for layer in self.layers[start:end]:
            if self.with_cp and x.requires_grad:
                x = checkpoint(layer, x, attn_mask, use_reentrant=False)
            else:
                x = layer(x, attn_mask)
        return x

    def forward_trunk(self,
                      x: torch.Tensor,
                      mask: Optional[torch.Tensor] = None,
                      num_head_layers: Optional[int] = None) -> torch.Tensor:
        """Embeddings and the layers before the last ``num_head_layers``.

        Args:
            x (Tensor): Images ``(B, 3, H, W)``.
            mask (Tensor, optional): ``(B, N)`` bool masked patches.
            num_head_layers (int, optional): Layers left for
                :meth:`forward_head_layers`. Defaults to
                :attr:`num_text_layers`.

        Returns:
            Tensor: ``(B, 1 + N, C)`` hidden tokens (not normalised).
        """
        if num_head_layers is None:
            num_head_layers = self.num_text_layers
        x = self.embed(x, mask)
        return self._run_layers(x, 0, self.num_layers - num_head_layers)

    def forward_head_layers(
            self,
            x: torch.Tensor,
            text: Optional[torch.Tensor] = None,
            text_mask: Optional[torch.Tensor] = None,
            num_head_layers: Optional[int] = None) -> torch.Tensor:
        """The last ``num_head_layers`` layers, optionally with text, and the
        final LayerNorm. Text tokens are dropped from the output.

        Args:
            x (Tensor): Trunk output ``(B, 1 + N, C)``.
            text (Tensor, optional): Text features ``(B, L, C)``.
            text_mask (Tensor, optional): ``(B, L)``, 1 for real tokens.
            num_head_layers (int, optional): Defaults to
                :attr:`num_text_layers`.

        Returns:
            Tensor: ``(B, 1 + N, C)`` normalised visual tokens.
        """
        if num_head_layers is None:
            num_head_layers = self.num_text_layers
        start = self.num_layers - num_head_layers
        num_visual = x.shape[1]
        attn_mask = None
        if text is not None:
            if num_head_layers > self.num_text_layers:
                raise ValueError(
                    f'text goes into the last {self.num_text_layers} layers '
                    f'only, not {num_head_layers}')
            if text_mask is None:
                text_mask = text.new_ones(text.shape[:2])
            visual_mask = text_mask.new_ones(x.shape[0], num_visual)
            attn_mask = padding_mask_to_attn_mask(
                torch.cat([visual_mask, text_mask], dim=1))
            if self.text_adapter is not None:
                text = self.text_adapter(text)
            x = torch.cat([x, text.to(x.dtype)], dim=1)
        x = self._run_layers(x, start, self.num_layers, attn_mask)
        return self.ln1(x[:, :num_visual])

    def forward(self,
                x: torch.Tensor,
                mask: Optional[torch.Tensor] = None,
                text: Optional[torch.Tensor] = None,
                text_mask: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor]:
        """Encode images, optionally masked and with text injected.

        Args:
            x (Tensor): Images ``(B, 3, H, W)``.
            mask (Tensor, optional): ``(B, N)`` bool, True = masked patch.
            text (Tensor, optional): Text features ``(B, L, C)``, injected
                from layer ``text_inject_start`` on.
            text_mask (Tensor, optional): ``(B, L)`` text padding mask.

        Returns:
            tuple[Tensor]: One tensor ``(B, 1 + N, C)``: the normalised
            [CLS] and patch tokens (mmpretrain backbones return tuples).
        """
        if text is not None and self.text_inject_start is None:
            raise ValueError('this encoder was built with '
                             'text_inject_start=None and takes no text')
        n = self.num_text_layers if text is not None else 0
        x = self.forward_trunk(x, mask, num_head_layers=n)
        return (self.forward_head_layers(x, text, text_mask, n), )
