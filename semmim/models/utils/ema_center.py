"""Centre of teacher logits (DINO), kept as a buffer."""
import torch
import torch.nn as nn

from .distributed import all_reduce_mean


class EMACenter(nn.Module):
    """EMA of the batch-mean teacher logits, all-reduced over ranks.

    Subtracting it from the teacher logits keeps one code from dominating
    (collapse to a constant); the sharpening teacher temperature keeps the
    targets from going uniform. The centre is a buffer: it is saved in and
    restored from checkpoints.

    Args:
        num_codes (int): K.
        momentum (float): EMA keep rate. Defaults to 0.9.
    """

    def __init__(self, num_codes: int, momentum: float = 0.9):
        super().__init__()
        self.momentum = momentum
        self.register_buffer('center', torch.zeros(1, num_codes))

    @torch.no_grad()
    def update(self, teacher_logits: torch.Tensor) -> None:
        """Update with teacher logits ``(..., K)`` of this step."""
        batch_center = teacher_logits.reshape(-1, teacher_logits.shape[-1])
        batch_center = all_reduce_mean(batch_center.float().mean(0, True))
        self.center.mul_(self.momentum).add_(
            batch_center, alpha=1 - self.momentum)

    def forward(self, teacher_logits: torch.Tensor) -> torch.Tensor:
        return teacher_logits - self.center
