"""L_plm: prefix language modelling with the decoder."""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule

from semmim.registry import MODELS
from ..utils.prefix_split import split_prefix, word_start_table


@MODELS.register_module()
class PrefixLMHead(BaseModule):
    """The decoder and its loss: given the image and a caption prefix (fused
    by the encoders), predict the rest of the caption.

    The decoder cross-attends to the concatenation of the image tokens and
    the fused prefix (mPLUG's prefix LM). The same head generates captions
    and answers downstream.

    Args:
        decoder (dict): :class:`BertDecoder` config.
        tokenizer: Tokenizer (special ids, vocabulary); passed by the
            algorithm.
        label_smoothing (float): Defaults to 0.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 decoder: dict,
                 tokenizer=None,
                 label_smoothing: float = 0.0,
                 loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.decoder = MODELS.build(decoder)
        self.tokenizer = tokenizer
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight
        if tokenizer is not None:
            self.register_buffer(
                'word_start', word_start_table(tokenizer), persistent=False)

    def split(self, ids: torch.Tensor, mask: torch.Tensor):
        """See :func:`semmim.models.utils.prefix_split.split_prefix`."""
        tok = self.tokenizer
        return split_prefix(ids, mask, self.word_start, tok.cls_token_id,
                            tok.sep_token_id, tok.pad_token_id)

    def loss(self,
             target_ids: torch.Tensor,
             target_mask: torch.Tensor,
             context: torch.Tensor,
             context_mask: Optional[torch.Tensor] = None
             ) -> Dict[str, torch.Tensor]:
        """Args:
            target_ids (Tensor): ``(B, Lt)`` [CLS] + suffix + [SEP].
            target_mask (Tensor): ``(B, Lt)``.
            context (Tensor): ``(B, S, C)`` image tokens and fused prefix.
            context_mask (Tensor, optional): ``(B, S)``.

        Returns:
            dict: ``loss_plm`` and ``acc_plm`` (token accuracy, percent).
        """
        loss, acc = self.decoder.token_loss(
            target_ids, target_mask, context, context_mask,
            label_smoothing=self.label_smoothing)
        return dict(loss_plm=loss * self.loss_weight, acc_plm=acc)
