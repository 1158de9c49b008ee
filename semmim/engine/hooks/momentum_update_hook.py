"""Update the momentum (EMA) copies after each optimizer step."""
import math

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from semmim.registry import HOOKS


def unwrap(model):
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class MomentumUpdateHook(Hook):
    """Call ``model.update_momentum()`` after every optimizer step.

    With gradient accumulation the optimizer steps every ``k`` iterations,
    and so do the EMA copies. Before training, each copy with a cosine
    schedule learns its length in optimizer steps, so the schedule ends at
    the end of training whatever ``k`` is. The copies' ``steps`` buffers are
    in the checkpoint, so a resumed run continues the schedule.
    """

    priority = 'ABOVE_NORMAL'

    def before_train(self, runner) -> None:
        model = unwrap(runner.model)
        acc = getattr(runner.optim_wrapper, '_accumulative_counts', 1) or 1
        total = math.ceil(runner.max_iters / acc)
        for ema in model.momentum_modules().values():
            ema.total_steps = total

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not runner.optim_wrapper.should_update():
            return
        unwrap(runner.model).update_momentum()
