"""The fusion encoder E_F: BERT layers with cross-attention to the image."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from transformers.models.bert.modeling_bert import BertLayer

from semmim.registry import MODELS
from ..utils.bert import (cross_attention_rows, distinct_contexts,
                          extended_mask, index_cross_attention,
                          init_bert_weights, make_bert_config)
from ..utils.pretrained_init import check_pretrained_file


@MODELS.register_module()
class BertFusionEncoder(BaseModule):
    """BERT layers, each self-attention -> cross-attention -> FFN.

    Built from transformers' ``BertLayer``; it asks for ``is_decoder=True``
    to have cross-attention, but the self-attention here is bidirectional:
    an explicit padding mask is always passed, so no causal mask is made.
    Every layer's cross-attention is used: no unused parameters.

    SemMIM initialises these from bert-base-uncased layers 6-11; the
    cross-attention starts random.

    Args:
        num_layers (int): Layers. Defaults to 6.
        bert_cfg (dict, optional): ``BertConfig`` fields over bert-base.
        vision_dims (int, optional): Width of the image tokens. When it
            differs from the text width, :meth:`adapt_image` maps them with a
            linear layer (``image_adapter``; ALBEF's ``encoder_width``).
            Defaults to the text width (no adapter).
        with_cp (bool): Activation checkpointing per layer.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self, num_layers: int = 6, bert_cfg: dict = None,
                 vision_dims: Optional[int] = None, with_cp: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.config = make_bert_config(
            num_layers, bert_cfg, is_decoder=True, add_cross_attention=True)
        self.layers = nn.ModuleList(
            BertLayer(self.config) for _ in range(num_layers))
        index_cross_attention(self.layers)
        self.image_adapter = None
        if vision_dims is not None and vision_dims != self.config.hidden_size:
            self.image_adapter = nn.Linear(vision_dims,
                                           self.config.hidden_size)
        self.with_cp = with_cp
        init_bert_weights(self, self.config.initializer_range)

    def init_weights(self):
        check_pretrained_file(self.init_cfg, 'bert', type(self).__name__)
        super().init_weights()

    def adapt_image(self, image: torch.Tensor) -> torch.Tensor:
        """Image tokens in the text width (identity when widths match)."""
        if self.image_adapter is None:
            return image
        return self.image_adapter(image)

    @property
    def embed_dims(self) -> int:
        return self.config.hidden_size

    def forward(self,
                text: torch.Tensor,
                text_mask: torch.Tensor,
                image: torch.Tensor,
                image_mask: Optional[torch.Tensor] = None,
                image_index: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Fuse text with image tokens.

        Args:
            text (Tensor): ``(B, L, C)`` text features.
            text_mask (Tensor): ``(B, L)``, 1 for real tokens.
            image (Tensor): ``(B, N, C)`` image (or other context) tokens,
                already in the text width (see :meth:`adapt_image`); with
                ``image_index``, ``(U, N, C)`` distinct images.
            image_mask (Tensor, optional): ``(B, N)`` (or ``(U, N)`` with
                ``image_index``), 1 for real tokens.
            image_index (Tensor, optional): ``(B,)`` long: text row ``b``
                attends to ``image[image_index[b]]``. The same as passing
                ``image[image_index]``, but the cross-attention keys and
                values are computed once for each image the index uses (and
                not at all for the others), not once per text row.

        Returns:
            Tensor: ``(B, L, C)`` fused features; ``[:, 0]`` is [CLS].
        """
        if image.shape[-1] != text.shape[-1]:
            raise ValueError(f'image width {image.shape[-1]} != text width '
                             f'{text.shape[-1]}: use equal widths')
        if image_index is not None:
            if image_mask is not None:
                image_mask = image_mask.index_select(0, image_index)
            if self.with_cp and text.requires_grad:
                # checkpointed layers re-run in the backward, outside this
                # call: index the images up front instead
                image = image.index_select(0, image_index)
                image_index = None
            else:
                image, image_index = distinct_contexts(image, image_index)
        with cross_attention_rows(self.layers, image_index):
            return self._layers_forward(text, text_mask, image, image_mask)

    def cross_attention_scores(self, text: torch.Tensor,
                               text_mask: torch.Tensor,
                               image: torch.Tensor) -> torch.Tensor:
        """The last layer's cross-attention logits of the text over the
        image tokens, before the softmax: ``q_text . k_image / sqrt(d)``.

        Args:
            text (Tensor): ``(B, L, C)`` text features.
            text_mask (Tensor): ``(B, L)``, 1 for real tokens.
            image (Tensor): ``(B, N, C)`` image tokens in the text width.

        Returns:
            Tensor: ``(B, heads, L, N)``.
        """
        if image.shape[-1] != text.shape[-1]:
            raise ValueError(f'image width {image.shape[-1]} != text width '
                             f'{text.shape[-1]}: use equal widths')
        *first, last = self.layers
        self_mask = extended_mask(text_mask, text.dtype)
        with cross_attention_rows(self.layers, None):
            x = text
            for layer in first:
                x = layer(x, attention_mask=self_mask,
                          encoder_hidden_states=image)[0]
            x = last.attention(x, attention_mask=self_mask)[0]
            attn = last.crossattention.self
            B, L, _ = x.shape
            h, d = attn.num_attention_heads, attn.attention_head_size
            q = attn.query(x).view(B, L, h, d).transpose(1, 2)
            k = attn.key(image).view(B, image.shape[1], h, d).transpose(1, 2)
        return q @ k.transpose(-1, -2) / d**0.5

    def _layers_forward(self, text, text_mask, image, image_mask):
        self_mask = extended_mask(text_mask, text.dtype)
        cross_mask = None
        if image_mask is not None:
            cross_mask = extended_mask(image_mask, text.dtype)
        else:
            # SDPA without a mask; an all-zero additive mask is the same
            cross_mask = None
        x = text
        for layer in self.layers:
            if self.with_cp and x.requires_grad:
                x = torch.utils.checkpoint.checkpoint(
                    layer, x, self_mask, None, image, cross_mask,
                    use_reentrant=False)[0]
            else:
                x = layer(
                    x,
                    attention_mask=self_mask,
                    encoder_hidden_states=image,
                    encoder_attention_mask=cross_mask)[0]
        return x
