"""L_itm: image-text matching with hard negatives (ALBEF)."""
from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from semmim.registry import MODELS


@MODELS.register_module()
class ITMHead(BaseModule):
    """Binary matched / not-matched classifier on the fusion [CLS].

    For every image one hard negative text, and for every text one hard
    negative image, are drawn with probability ``softmax(ITC similarity)``
    (positives excluded): negatives the contrastive model confuses teach the
    fusion encoder the most.

    Args:
        embed_dims (int): Fusion width. Defaults to 768.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, embed_dims: int = 768, loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(embed_dims, 2)
        self.loss_weight = loss_weight

    def forward(self, fused_cls: torch.Tensor) -> torch.Tensor:
        """``(B, C)`` fusion [CLS] -> ``(B, 2)`` logits (1 = matched)."""
        return self.fc(fused_cls)

    @torch.no_grad()
    def sample_negatives(self, sim_i2t: torch.Tensor, sim_t2i: torch.Tensor,
                         positives: torch.Tensor
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Draw one hard negative per row.

        Args:
            sim_i2t (Tensor): ``(B, T)`` similarities of the local images to
                the candidate texts (all ranks' texts when gathered).
            sim_t2i (Tensor): ``(B, I)`` of the local texts to the candidate
                images.
            positives (Tensor): ``(B, T)`` bool, True where a candidate is a
                positive of the row (the pair itself, or the same image id).
                Square ``T == I`` candidate sets are assumed (pairs).

        Returns:
            tuple[Tensor]: Indices ``(B,)`` of the negative text for each
            image and of the negative image for each text.
        """
        # +1e-4 after the softmax keeps every row drawable; positives -> 0
        w_i2t = F.softmax(sim_i2t.float(), dim=1) + 1e-4
        w_t2i = F.softmax(sim_t2i.float(), dim=1) + 1e-4
        # a diverged step's NaN/inf similarities: draw uniformly instead of
        # a multinomial error, so the loss comes out non-finite and the
        # NonFiniteGuardHook skips the step and names it
        w_i2t = torch.nan_to_num(w_i2t, nan=1.0, posinf=1.0, neginf=1.0)
        w_t2i = torch.nan_to_num(w_t2i, nan=1.0, posinf=1.0, neginf=1.0)
        w_i2t = w_i2t.masked_fill(positives, 0)
        w_t2i = w_t2i.masked_fill(positives, 0)
        neg_text = torch.multinomial(w_i2t, 1).squeeze(1)
        neg_image = torch.multinomial(w_t2i, 1).squeeze(1)
        return neg_text, neg_image

    def loss(self, logits: torch.Tensor,
             labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args:
            logits (Tensor): ``(M, 2)``.
            labels (Tensor): ``(M,)`` 1 matched, 0 not.

        Returns:
            dict: ``loss_itm`` and ``acc_itm`` (percent).
        """
        loss = F.cross_entropy(logits.float(), labels)
        acc = (logits.argmax(1) == labels).float().mean() * 100
        return dict(loss_itm=loss * self.loss_weight, acc_itm=acc.detach())

