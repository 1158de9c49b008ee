"""L_patch: masked patches predict the momentum encoder's codes (Eq. 3)."""
from typing import Dict

import torch

from semmim.registry import MODELS
from ..losses import soft_cross_entropy
from .cls_distill_head import CLSDistillHead


@MODELS.register_module()
class PatchDistillHead(CLSDistillHead):
    """Masked image modelling with semantic soft codes as targets.

    For each masked patch ``i`` of view 2, the target is the momentum
    encoder's code distribution ``softmax((t_i - c_patch) / tau_t)`` of the
    unmasked (text-injected) view 2, the prediction the online encoder's
    ``softmax(s_i / tau_s)`` of the masked, text-injected view 2; the loss is
    their cross-entropy averaged over the masked patches. The patch centre
    is separate from the [CLS] centre (their statistics differ) and is
    updated with the teacher logits of all patches.

    Args: as :class:`CLSDistillHead`.
    """

    loss_name = 'loss_patch'
    #: the algorithm feeds it encoding-head logits of masked tokens and
    #: the momentum encoder's patch logits
    uses_codes = True

    def loss(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor,
             mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args:
            student_logits (Tensor): ``(M, K)`` online logits of the masked
                patches, in ``mask`` order (the head runs on those only).
            teacher_logits (Tensor): ``(B, N, K)`` momentum patch logits.
            mask (Tensor): ``(B, N)`` bool, True = masked.

        Returns:
            dict: ``loss_patch``, the mean over masked patches.
        """
        target = self.targets(teacher_logits[mask])
        loss = soft_cross_entropy(
            student_logits.float() / self.student_temp, target)
        self.center.update(teacher_logits)
        return {self.loss_name: loss * self.loss_weight}
