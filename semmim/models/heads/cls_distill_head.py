"""L_cls: agreement of [CLS] codes between two views (paper Eq. 2)."""
from typing import Dict

import torch
from mmengine.model import BaseModule

from semmim.registry import MODELS
from ..losses import soft_cross_entropy
from ..utils.ema_center import EMACenter


@MODELS.register_module()
class CLSDistillHead(BaseModule):
    """Self-distillation of the [CLS] code distribution (DINO-style).

    Target: ``softmax((t - c) / tau_t)`` of the momentum encoder's view-1
    [CLS] logits ``t``; prediction: ``softmax(s / tau_s)`` of the online
    view-2 [CLS] logits ``s``; loss: their cross-entropy. ``c`` is an EMA
    centre (0.9) of the teacher logits. The teacher temperature is a buffer
    warmed up by :class:`~semmim.engine.hooks.TeacherTempWarmupHook`:
    starting sharp-but-not-too-sharp (0.04) avoids unstable early targets.

    Args:
        num_codes (int): K. Defaults to 1024.
        student_temp (float): tau_s. Defaults to 0.1.
        teacher_temp (float): tau_t after warm-up. Defaults to 0.07.
        center_momentum (float): Centre EMA keep rate. Defaults to 0.9.
        loss_weight (float): Defaults to 1.0.
    """

    loss_name = 'loss_cls'

    def __init__(self,
                 num_codes: int = 1024,
                 student_temp: float = 0.1,
                 teacher_temp: float = 0.07,
                 center_momentum: float = 0.9,
                 loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.student_temp = student_temp
        self.loss_weight = loss_weight
        self.center = EMACenter(num_codes, center_momentum)
        self.register_buffer('teacher_temp', torch.tensor(teacher_temp))

    @torch.no_grad()
    def targets(self, teacher_logits: torch.Tensor) -> torch.Tensor:
        """Teacher probabilities ``(..., K)`` (centred, sharpened)."""
        return torch.softmax(
            self.center(teacher_logits.float()) / self.teacher_temp, dim=-1)

    def loss(self, student_logits: torch.Tensor,
             teacher_logits: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args:
            student_logits (Tensor): ``(B, K)`` online logits.
            teacher_logits (Tensor): ``(B, K)`` momentum logits (no grad).

        Returns:
            dict: ``loss_cls``. The centre is updated afterwards with this
            batch's teacher logits, as in DINO.
        """
        target = self.targets(teacher_logits)
        loss = soft_cross_entropy(student_logits.float() / self.student_temp,
                                  target)
        self.center.update(teacher_logits)
        return {self.loss_name: loss * self.loss_weight}
