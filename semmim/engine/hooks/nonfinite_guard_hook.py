"""Skip optimizer steps whose loss or gradients are not finite."""
import math
from typing import List, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.runner.checkpoint import find_latest_checkpoint

from semmim.registry import HOOKS


class NonFiniteTrainingError(RuntimeError):
    """Training stopped: too many consecutive non-finite steps, or weights
    that would be saved are not finite."""


def _nonfinite_terms(outputs) -> List[str]:
    """Names of the logged values (loss terms) that are not finite."""
    bad = []
    for name, value in (outputs or {}).items():
        if isinstance(value, torch.Tensor):
            if value.numel() and not bool(torch.isfinite(value).all()):
                bad.append(name)
        elif isinstance(value, float) and not math.isfinite(value):
            bad.append(name)
    return bad


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Keep a non-finite loss or gradient from reaching the weights.

    Before each optimizer step, the loss of every backward since the last
    step and the total gradient norm are checked (one scalar, agreed over
    all ranks, so every rank skips together). When either is NaN or inf:

    * the step is skipped (the gradients are zeroed as after a step), and
      the model's buffers (queues, running centres, their pointers) are put
      back to what they were before that batch, so one bad batch leaves no
      trace;
    * the iteration and the loss terms that were not finite are logged;
    * after ``max_consecutive_skips`` skips in a row training stops with
      :class:`NonFiniteTrainingError` (a diverged run, not a bad batch).

    A checkpoint is never written with non-finite weights: the save is
    refused with an error naming the first bad tensors, so the previous
    checkpoint stays the one ``--resume`` picks.

    On by default (``prepare_cfg`` adds it as ``default_hooks.
    nonfinite_guard``); ``--cfg-options default_hooks.nonfinite_guard=None``
    turns it off. With ``AmpOptimWrapper`` (fp16) only the loss is checked:
    the gradient scaler already skips steps with overflowing gradients.

    Args:
        max_consecutive_skips (int): Stop after this many skipped steps in a
            row. Defaults to 5.
        restore_buffers (bool): Restore the model's buffers after a skipped
            step (costs one copy of the buffers per step). Defaults to True.
    """

    # before RuntimeInfoHook (VERY_HIGH), which puts the iteration's
    # values into the logged history: a skipped step's non-finite terms
    # are left out of it (the warning names them), so the smoothed losses
    # in the log stay numbers
    priority = 'HIGHEST'

    def __init__(self, max_consecutive_skips: int = 5,
                 restore_buffers: bool = True):
        if max_consecutive_skips < 1:
            raise ValueError('max_consecutive_skips must be >= 1, got '
                             f'{max_consecutive_skips}')
        self.max_consecutive_skips = max_consecutive_skips
        self.restore_buffers = restore_buffers
        self.consecutive = 0
        self.total_skipped = 0
        self._loss_finite = True
        self._skipped_now: Optional[str] = None
        self._buffers: List[torch.Tensor] = []
        self._backup: List[torch.Tensor] = []
        self._window_start = True
        self._stepped = False

    # ------------------------------------------------------------------
    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        self._buffers = [b for b in model.buffers()]
        if self.restore_buffers:
            self._backup = [b.detach().clone() for b in self._buffers]
        wrappers = runner.optim_wrapper
        wrappers = wrappers.values() if isinstance(
            wrappers, OptimWrapperDict) else [wrappers]
        for wrapper in wrappers:
            self._wrap(wrapper)

    def _wrap(self, wrapper) -> None:
        if getattr(wrapper, '_semmim_nonfinite_guard', None) is self:
            return
        backward, step = wrapper.backward, wrapper.step
        check_grads = not isinstance(wrapper, AmpOptimWrapper)

        def guarded_backward(loss: torch.Tensor, **kwargs):
            if not bool(torch.isfinite(loss.detach()).all()):
                self._loss_finite = False
            return backward(loss, **kwargs)

        def guarded_step(**kwargs):
            reason = self._check(wrapper, check_grads)
            self._loss_finite = True
            self._window_start = True
            if reason is None:
                self._stepped = True
                return step(**kwargs)
            self._skipped_now = reason
            if self.restore_buffers:
                with torch.no_grad():
                    for buf, saved in zip(self._buffers, self._backup):
                        buf.copy_(saved)
            # update_params zeroes the gradients after this

        wrapper.backward = guarded_backward
        wrapper.step = guarded_step
        wrapper._semmim_nonfinite_guard = self

    def _check(self, wrapper, check_grads: bool) -> Optional[str]:
        bad_loss = not self._loss_finite
        grad_norm = None
        if check_grads:
            grads = [p.grad for group in wrapper.optimizer.param_groups
                     for p in group['params'] if p.grad is not None]
            if grads:
                grad_norm = torch.nn.utils.get_total_norm(grads)
        flags = torch.tensor([float(bad_loss), 0.0])
        if grad_norm is not None:
            flags = flags.to(grad_norm.device)
            flags[1] = (~torch.isfinite(grad_norm)).float()
        if get_world_size() > 1:
            all_reduce(flags, op='sum')  # every rank decides alike
        bad_loss, bad_grad = (bool(v > 0) for v in flags.tolist())
        if not (bad_loss or bad_grad):
            return None
        parts = []
        if bad_loss:
            parts.append('loss')
        if bad_grad:
            parts.append(f'gradient norm ({float(grad_norm):g})'
                         if grad_norm is not None else 'gradient norm')
        return ' and '.join(parts)

    # ------------------------------------------------------------------
    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if self.restore_buffers and self._window_start:
            with torch.no_grad():
                torch._foreach_copy_(self._backup, self._buffers)
            self._window_start = False

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        reason, self._skipped_now = self._skipped_now, None
        stepped, self._stepped = self._stepped, False
        if reason is None:
            if stepped:
                self.consecutive = 0
            return
        self.consecutive += 1
        self.total_skipped += 1
        terms = _nonfinite_terms(outputs)
        for name in terms:
            outputs.pop(name, None)
        where = f'iter {runner.iter + 1} (epoch {runner.epoch + 1})'
        runner.logger.warning(
            f'{where}: non-finite {reason}; non-finite terms: '
            f'{", ".join(terms) or "none logged"}; step skipped '
            f'({self.consecutive} in a row, {self.total_skipped} in all)')
        runner.message_hub.update_scalar('train/nonfinite_skipped',
                                         self.total_skipped)
        if self.consecutive >= self.max_consecutive_skips:
            last = find_latest_checkpoint(runner.work_dir)
            raise NonFiniteTrainingError(
                f'stopped at {where}: {self.consecutive} optimizer steps in '
                f'a row had a non-finite {reason} (terms: '
                f'{", ".join(terms) or "none logged"}); the run diverged or '
                'the data is broken: lower the learning rate or check the '
                'data, then resume from the last good checkpoint '
                f'({last or "none saved yet"}) with --resume')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('state_dict', {})
        bad = [k for k, v in state.items()
               if isinstance(v, torch.Tensor) and v.is_floating_point()
               and not bool(torch.isfinite(v).all())]
        if bad:
            # CheckpointHook rewrites last_checkpoint only after the save
            last = find_latest_checkpoint(runner.work_dir)
            raise NonFiniteTrainingError(
                f'refused to save a checkpoint at iter {runner.iter} with '
                f'non-finite weights ({len(bad)} tensors: '
                f'{", ".join(bad[:3])}); the last good checkpoint '
                f'({last or "none saved yet"}) is kept for --resume')
