"""MMEngine's TensorBoard backend, made optional.

``configs/_base_/default_runtime.py`` logs scalars to TensorBoard as well
as to ``vis_data/scalars.json``. TensorBoard is an optional extra
(``requirements/optional.txt``); MMEngine's ``TensorboardVisBackend``
raises ``ImportError`` at the first logged scalar when it is missing, which
would stop training for a log nobody asked for. This subclass warns once
and drops the TensorBoard records instead; everything else is MMEngine's.
"""
import warnings

from mmengine.visualization import TensorboardVisBackend

from semmim.registry import VISBACKENDS


class _NullWriter:
    """Stands in for ``SummaryWriter``: accepts every call, writes nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """``TensorboardVisBackend`` that is a no-op without TensorBoard.

    Args:
        save_dir (str): Where the event files go (MMEngine joins it to
            ``<work_dir>/<timestamp>/vis_data``).
        **kwargs: Passed to ``TensorboardVisBackend``.
    """

    #: False once the backend found no TensorBoard (for tests and users)
    available = True

    def _init_env(self):
        try:
            super()._init_env()
        except ImportError as err:
            warnings.warn(f'TensorBoard logging is off: {err}. Install the '
                          'optional extras (pip install -r '
                          'requirements/optional.txt) to turn it on; '
                          'scalars.json is written either way.')
            self.available = False
            self._tensorboard = _NullWriter()
