"""semmim: SemMIM vision-language pre-training on MMEngine/mmpretrain."""
from . import compat  # noqa: F401  (makes the pinned stack work together)
from .version import __version__

compat.apply_all()

__all__ = ['__version__']
