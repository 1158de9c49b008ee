"""Log how many bad samples the data pipeline skipped."""
from mmengine.hooks import Hook

from semmim.registry import HOOKS


@HOOKS.register_module()
class BadSampleLoggerHook(Hook):
    """Sum ``bad_samples_skipped`` over each batch (the datasets attach it,
    see :mod:`semmim.datasets.bad_samples`) and log the running total as
    ``bad_samples`` in the training log; warn once per epoch if any."""

    priority = 'BELOW_NORMAL'

    def __init__(self):
        self.total = 0
        self.epoch_total = 0

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        samples = (data_batch or {}).get('data_samples') or []
        n = sum(int(s.metainfo.get('bad_samples_skipped', 0))
                for s in samples if hasattr(s, 'metainfo'))
        self.total += n
        self.epoch_total += n
        if self.total:
            runner.message_hub.update_scalar('train/bad_samples',
                                             self.total)

    def after_train_epoch(self, runner) -> None:
        if self.epoch_total:
            runner.logger.warning(
                f'epoch {runner.epoch}: skipped {self.epoch_total} bad '
                f'samples (total {self.total}); see the warnings above '
                'for which files')
        self.epoch_total = 0
