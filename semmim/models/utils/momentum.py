"""Momentum (EMA) copies of online modules, with a momentum schedule."""
import math
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseAveragedModel

from semmim.registry import MODELS

SCHEDULES = ('constant', 'cosine')


@MODELS.register_module()
class MomentumEMA(BaseAveragedModel):
    """An EMA copy updated as ``avg = m * avg + (1 - m) * online``.

    ``m`` is the keep rate (DINO/ALBEF convention, e.g. 0.996), constant or
    following a cosine from ``momentum`` to ``end_momentum`` over
    ``total_steps`` optimizer steps (DINO: 0.996 -> 1, so the teacher
    freezes as training ends). Built on MMEngine's ``BaseAveragedModel``: a
    deep copy with ``requires_grad=False`` and a ``steps`` buffer that is
    saved in checkpoints, so the schedule resumes where it stopped. Buffers
    are copied from the online module. The update is one fused
    ``torch._foreach_lerp_`` over all parameters.

    Args:
        model (nn.Module): The online module.
        momentum (float): Keep rate at the start. Defaults to 0.996.
        end_momentum (float, optional): Keep rate at the end (cosine).
        schedule (str): 'constant' or 'cosine'. Defaults to 'constant'.
    """

    def __init__(self, model: nn.Module, momentum: float = 0.996,
                 end_momentum: Optional[float] = None,
                 schedule: str = 'constant'):
        super().__init__(model, interval=1, update_buffers=False)
        if schedule not in SCHEDULES:
            raise ValueError(f'schedule must be one of {SCHEDULES}')
        if not 0 <= momentum <= 1:
            raise ValueError(f'momentum must be in [0, 1], got {momentum}')
        self.momentum = momentum
        self.end_momentum = momentum if end_momentum is None else end_momentum
        self.schedule = schedule
        self.total_steps: Optional[int] = None

    def current_momentum(self) -> float:
        """Keep rate for the next update."""
        if self.schedule == 'constant':
            return self.momentum
        if not self.total_steps:
            raise RuntimeError('set total_steps before a cosine schedule '
                               'is used (MomentumUpdateHook does)')
        progress = min(1.0, int(self.steps) / self.total_steps)
        cos = (math.cos(math.pi * progress) + 1) / 2
        return self.end_momentum - (self.end_momentum - self.momentum) * cos

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps: int) -> None:
        averaged_param.lerp_(source_param, 1 - self.current_momentum())

    @torch.no_grad()
    def copy_from(self, model: nn.Module) -> None:
        """Make the copy equal to ``model`` (parameters and buffers)."""
        self.module.load_state_dict(model.state_dict())

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        src = dict(model.named_parameters())
        avg = [p for k, p in self.avg_parameters.items()
               if p.dtype.is_floating_point]
        new = [src[k].detach().to(p.device)
               for k, p in self.avg_parameters.items()
               if p.dtype.is_floating_point]
        # unlike MMEngine's models, step 0 is an ordinary update: the copy
        # is synchronised explicitly (copy_from) after weights are loaded
        torch._foreach_lerp_(avg, new, 1 - self.current_momentum())
        for b_avg, b_src in zip(self.module.buffers(), model.buffers()):
            b_avg.copy_(b_src.to(b_avg.device))
        self.steps += 1
