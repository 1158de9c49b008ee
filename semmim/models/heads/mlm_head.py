"""L_mlm: masked language modelling on the fusion output."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from transformers.models.bert.modeling_bert import BertOnlyMLMHead

from semmim.registry import MODELS
from ..utils.bert import init_bert_weights, make_bert_config
from ..utils.token_masking import mask_tokens


@MODELS.register_module()
class MLMHead(BaseModule):
    """Predict masked words from the fusion encoder's output.

    The prediction head is BERT's (``cls.predictions``: transform + decoder
    tied to the text encoder's word embeddings, see :meth:`tie_weights`).
    With momentum distillation (ALBEF/mPLUG) the target mixes the one-hot
    word with the momentum model's prediction (weight ``alpha``).

    Args:
        bert_cfg (dict, optional): ``BertConfig`` fields over bert-base.
        mask_prob (float): Fraction of tokens masked. Defaults to 0.15.
        alpha (float): Distillation weight (used when momentum logits are
            given). Defaults to 0.4.
        tokenizer: The tokenizer (special-token ids, vocabulary size);
            passed by the algorithm.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 bert_cfg: Optional[dict] = None,
                 mask_prob: float = 0.15,
                 alpha: float = 0.4,
                 tokenizer=None,
                 loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.config = make_bert_config(0, bert_cfg)
        self.cls = BertOnlyMLMHead(self.config)
        init_bert_weights(self.cls, self.config.initializer_range)
        self.mask_prob = mask_prob
        self.alpha = alpha
        self.loss_weight = loss_weight
        self.tokenizer = tokenizer

    def tie_weights(self, word_embeddings: torch.nn.Embedding) -> None:
        """Share the output projection with the input word embeddings."""
        self.cls.predictions.decoder.weight = word_embeddings.weight

    def mask(self, ids: torch.Tensor):
        """Mask ``ids`` ``(B, L)``: returns masked ids and labels."""
        tok = self.tokenizer
        return mask_tokens(
            ids,
            vocab_size=self.config.vocab_size,
            mask_token_id=tok.mask_token_id,
            special_ids=(tok.pad_token_id, tok.cls_token_id),
            prob=self.mask_prob)

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        """``(B, L, C)`` -> vocabulary logits ``(B, L, V)``."""
        return self.cls(fused)

    def loss(self,
             fused: torch.Tensor,
             labels: torch.Tensor,
             momentum_logits: Optional[torch.Tensor] = None
             ) -> Dict[str, torch.Tensor]:
        """Args:
            fused (Tensor): ``(B, L, C)`` fusion output on masked text.
            labels (Tensor): ``(B, L)`` original ids, -100 where not masked.
            momentum_logits (Tensor, optional): ``(M, V)`` momentum model's
                logits at the ``M`` masked positions (``labels != -100``, in
                row-major order), for distillation.

        Returns:
            dict: ``loss_mlm`` and ``acc_mlm`` (percent of masked tokens).
        """
        selected = labels != -100
        if not selected.any():
            # no token chosen in the whole batch (short captions): a zero
            # loss that still touches the graph keeps DDP in step
            zero = fused.sum() * 0.
            return dict(loss_mlm=zero, acc_mlm=zero.detach())
        logits = self(fused[selected]).float()
        target = labels[selected]
        loss = F.cross_entropy(logits, target, reduction='none')
        if momentum_logits is not None and self.alpha > 0:
            soft = torch.softmax(momentum_logits.float(), dim=-1)
            distill = -(soft * F.log_softmax(logits, dim=-1)).sum(-1)
            loss = (1 - self.alpha) * loss + self.alpha * distill
        acc = (logits.argmax(-1) == target).float().mean() * 100
        return dict(
            loss_mlm=loss.mean() * self.loss_weight, acc_mlm=acc.detach())
