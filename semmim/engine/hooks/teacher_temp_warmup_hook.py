"""Teacher temperature warm-up of the self-distillation heads."""
from typing import Sequence

from mmengine.hooks import Hook

from semmim.registry import HOOKS
from .momentum_update_hook import unwrap


@HOOKS.register_module()
class TeacherTempWarmupHook(Hook):
    """Raise ``teacher_temp`` linearly from ``start`` to ``end`` over the
    first ``warmup_ratio`` of training, then keep ``end``.

    DINO: a low teacher temperature sharpens targets; starting lower than
    the final value avoids the instability of sharp targets from a random
    teacher... while starting too high lets the codes collapse to uniform.
    The value is a buffer of each head, so checkpoints hold it; it is also
    recomputed from the iteration on resume.

    Args:
        start (float): Defaults to 0.04.
        end (float): Defaults to 0.07.
        warmup_ratio (float): Fraction of the run. Defaults to 0.3.
        heads (Sequence[str]): Model attributes holding a ``teacher_temp``
            buffer; missing ones are skipped (ablations).
    """

    priority = 'NORMAL'

    def __init__(self, start: float = 0.04, end: float = 0.07,
                 warmup_ratio: float = 0.3,
                 heads: Sequence[str] = ('cls_head', 'mim_head')):
        self.start = start
        self.end = end
        self.warmup_ratio = warmup_ratio
        self.heads = tuple(heads)

    def value(self, cur_iter: int, max_iters: int) -> float:
        warmup = self.warmup_ratio * max_iters
        if warmup <= 0 or cur_iter >= warmup:
            return self.end
        return self.start + (self.end - self.start) * cur_iter / warmup

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        model = unwrap(runner.model)
        temp = self.value(runner.iter, runner.max_iters)
        for name in self.heads:
            head = getattr(model, name, None)
            if head is not None and hasattr(head, 'teacher_temp'):
                head.teacher_temp.fill_(temp)
        runner.message_hub.update_scalar('train/teacher_temp', temp)
