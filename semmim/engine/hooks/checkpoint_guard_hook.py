"""Check what ``load_from`` / ``--resume`` load before the Runner uses it."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import find_latest_checkpoint

from semmim.registry import HOOKS
from semmim.utils.checkpoint_io import (CheckpointLoadError,
                                        checkpoint_is_intact,
                                        checkpoint_match_cfg,
                                        latest_intact_checkpoint,
                                        list_checkpoints, match_state_dict)

TRAINING_STATE = ('meta', 'state_dict', 'optimizer', 'message_hub')


@HOOKS.register_module()
class CheckpointGuardHook(Hook):
    """Make loading a checkpoint fail loudly, or fall back, never silently.

    * ``--resume`` without a file: when the newest checkpoint of the work
      dir is truncated or corrupted (a crash mid-save by an older writer, a
      bad copy), the newest intact one is resumed instead, with a warning
      naming both; with none left, one line says so.
    * ``--resume FILE``: a file that is not a whole checkpoint, or not a
      training checkpoint (no ``meta``/``optimizer``: plain weights), is
      refused in one line pointing to ``load_from``.
    * ``load_from`` (fine-tuning, ``tools/test.py``) and resume: the share
      of the model's parameters found in the checkpoint with the right
      shape is logged; below ``checkpoint_match.min_share`` (90%) loading
      fails naming the file and the first missing and wrong-shape keys,
      unless ``checkpoint_match = dict(allow_partial=True)``. Entries of
      the wrong shape (a queue of another size) are dropped rather than
      reported again by MMEngine.

    ``prepare_cfg`` adds it as ``default_hooks.checkpoint_guard``.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self.source: Optional[str] = None

    def before_run(self, runner) -> None:
        resume = getattr(runner, '_resume', False)
        load_from = getattr(runner, '_load_from', None)
        self.source = load_from
        if not resume:
            return
        if load_from is not None:
            why = checkpoint_is_intact(load_from)
            if why is not None:
                raise CheckpointLoadError(
                    f'--resume {load_from}: {why}; give another checkpoint '
                    '(or --resume alone for the newest intact one)')
            return
        newest = find_latest_checkpoint(runner.work_dir)
        if newest is None:
            return
        why = checkpoint_is_intact(newest)
        if why is None:
            self.source = newest
            return
        fallback = latest_intact_checkpoint(
            newest, list_checkpoints(runner.work_dir))
        if fallback is None:
            raise CheckpointLoadError(
                f'--resume: the newest checkpoint {newest} is {why} and no '
                f'intact epoch_*/iter_*.pth is left in {runner.work_dir}')
        runner.logger.warning(
            f'--resume: the newest checkpoint {newest} is {why}; resuming '
            f'from the previous intact one, {fallback}')
        runner._load_from = fallback  # load_or_resume resumes this file
        self.source = fallback

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        source = self.source or 'checkpoint'
        if not isinstance(checkpoint, dict):
            raise CheckpointLoadError(f'{source}: expected a checkpoint '
                                      f'dict, got {type(checkpoint).__name__}')
        if getattr(runner, '_resume', False):
            missing = [k for k in TRAINING_STATE if k not in checkpoint]
            if missing:
                raise CheckpointLoadError(
                    f'{source}: not a training checkpoint (no '
                    f'{", ".join(missing)}), so it cannot be resumed; to '
                    f'start from its weights use --cfg-options '
                    f'load_from={source} without --resume')
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        key = 'state_dict' if 'state_dict' in checkpoint else None
        state = checkpoint[key] if key else checkpoint
        keep, report = match_state_dict(
            model, state, source,
            **checkpoint_match_cfg(runner.cfg, checkpoint))
        runner.logger.info(report.summary(source))
        if key:
            checkpoint[key] = keep
        else:
            checkpoint.clear()
            checkpoint.update(keep)
