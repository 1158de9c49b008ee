"""Monkeypatches that make the pinned stack work together.

Pins: torch 2.14, numpy 2.x, mmengine 0.10.7, mmcv(-lite) 2.2.0, mmpretrain
1.2.0. Each ``apply_*`` function repairs one upstream bug and is idempotent;
``tests/test_compat.py`` checks in a fresh interpreter that each bug still
exists upstream, so we notice when a fix can be dropped.

Patches that need a heavy module (mmcv, ``mmpretrain.models``) run from a
post-import hook: ``import semmim`` stays cheap, and the patch still lands
before any caller can get hold of the unpatched object.
"""
import functools
import importlib
import importlib.abc
import pickle
import sys
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Dict, List

import numpy as np

if TYPE_CHECKING:
    from mmengine.config import Config

__all__ = [
    'apply_all', 'apply_torch_safe_globals', 'apply_numpy_in1d',
    'apply_mmcv_adjust_hue', 'apply_train_returns_self', 'check_collate_fn'
]

_APPLIED = False
_Hook = Callable[[types.ModuleType], None]
_PENDING: Dict[str, List[_Hook]] = {}


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Runs the hooks of a watched module right after it has executed."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in _PENDING:
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, 'find_spec'):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, 'exec_module'):
            return spec
        original = loader.exec_module

        def exec_module(module):
            original(module)
            # The name check guards loaders that serve several modules.
            if module.__name__ == fullname:
                for hook in _PENDING.pop(fullname, []):
                    hook(module)

        loader.exec_module = exec_module
        return spec


_FINDER = _PostImportFinder()


def _when_imported(name: str, hook: _Hook) -> None:
    """Call ``hook(module)`` now if ``name`` is imported, else once it is."""
    if name in sys.modules:
        hook(sys.modules[name])
        return
    _PENDING.setdefault(name, []).append(hook)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def apply_torch_safe_globals() -> None:
    """Let ``torch.load`` (``weights_only=True``) read Runner checkpoints.

    torch >= 2.6 defaults to ``weights_only=True`` and mmengine 0.10.7's
    ``CheckpointLoader`` does not pass it, so ``Runner.resume``/``load_from``
    fail on the message hub: ``HistoryBuffer`` objects holding numpy arrays,
    numpy scalars (``eta``), and ``getattr(HistoryBuffer, 'mean')`` (how its
    statistics methods pickle). Rather than the builtin ``getattr``, a
    stand-in resolving only HistoryBuffer's methods gets that name.
    """
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return  # torch < 2.4: no allow-list, no weights_only default

    def history_buffer_getattr(obj: Any, name: str) -> Any:
        if obj is HistoryBuffer and isinstance(
                HistoryBuffer.__dict__.get(name), types.FunctionType):
            return getattr(obj, name)
        raise pickle.UnpicklingError(
            f'weights-only load: semmim.compat refuses getattr({obj!r}, '
            f'{name!r}); only HistoryBuffer methods are allowed')

    multiarray = importlib.import_module(
        'numpy._core.multiarray' if hasattr(np, '_core') else
        'numpy.core.multiarray')
    # Files pickled under numpy 1.x name these ``numpy.core...``, numpy 2
    # ``numpy._core...``: register both spellings.
    numpy_funcs = [(getattr(multiarray, fn), f'numpy.{pkg}.multiarray.{fn}')
                   for fn in ('_reconstruct', 'scalar')
                   for pkg in ('core', '_core')]
    # A dtype is rebuilt by BUILD on an instance of its concrete class
    # (numpy.dtypes.Float64DType...): allow the numeric ones, not object.
    dtype_classes = {type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDG'}
    torch.serialization.add_safe_globals([
        HistoryBuffer, np.ndarray, np.dtype,
        *sorted(dtype_classes, key=str), *numpy_funcs,
        (history_buffer_getattr, 'builtins.getattr')
    ])


def apply_numpy_in1d() -> None:
    """Restore ``np.in1d``: deprecated in numpy 2.0, gone in our 2.4.

    mmpretrain 1.2.0's ``RetrievalRecall.calculate`` and
    ``RetrievalAveragePrecision`` still call it. ``np.isin`` is the named
    replacement; ``in1d`` always returned a flat array, hence the ravel.
    """
    if hasattr(np, 'in1d'):
        return

    def in1d(ar1, ar2, assume_unique=False, invert=False, *, kind=None):
        """Flat ``np.isin``: whether each element of ``ar1`` is in ``ar2``."""
        return np.isin(np.asarray(ar1).ravel(), ar2,
                       assume_unique=assume_unique, invert=invert, kind=kind)

    np.in1d = in1d


def _adjust_hue(img: np.ndarray,
                hue_factor: float,
                backend: str = None) -> np.ndarray:
    """``mmcv.adjust_hue``: rotate a BGR image's hue by ``hue_factor`` turns.

    Works on float HSV, so nothing wraps around and hue is not quantised.
    """
    import cv2
    from mmcv.image import photometric
    backend = photometric.imread_backend if backend is None else backend
    if backend not in ['cv2', 'pillow']:
        raise ValueError(f'backend: {backend} is not supported.'
                         f"Supported backends are 'cv2', 'pillow'")
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and (img.ndim in {2, 3})):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
    if img.ndim == 2:
        return img.copy()  # a grey image has no hue to rotate
    bgr = np.clip(img.astype(np.float32), 0, 255) / 255
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)  # float input: H in degrees
    hsv[..., 0] = (hsv[..., 0] + hue_factor * 360.0) % 360.0
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR) * 255
    return np.clip(np.rint(out), 0, 255).astype(img.dtype)


def apply_mmcv_adjust_hue() -> None:
    """Replace mmcv 2.2.0's ``adjust_hue``, broken for negative hue.

    Both backends do ``h += np.uint8(hue_factor * 255)``. For a negative
    Python float, numpy 2 raises ``OverflowError: Python integer -25 out of
    bounds for uint8`` (out-of-range Python ints no longer wrap: deprecated
    in 1.24, an error since 2.0); for a negative numpy float (what
    mmpretrain's ``ColorJitter`` passes) the cast is undefined in C (wraps
    on x86, saturates elsewhere). The uint8 HSV round trip is also lossy (up
    to ~14 levels). The replacement keeps the signature and checks, matches
    torchvision's float ``adjust_hue``, and is set wherever mmcv re-exports.
    """

    def patch(photometric: types.ModuleType) -> None:
        original = photometric.adjust_hue
        for name in ('mmcv.image.photometric', 'mmcv.image', 'mmcv'):
            module = sys.modules.get(name)
            if getattr(module, 'adjust_hue', None) is original:
                module.adjust_hue = _adjust_hue

    _when_imported('mmcv.image.photometric', patch)


def apply_train_returns_self() -> None:
    """Make mmpretrain modules' ``train()`` (and so ``eval()``) return self.

    In mmpretrain 1.2.0, ``BaseBackbone.train`` (inherited by
    ``VisionTransformer`` and its subclasses) and 35 other overrides
    (``MoCoV3ViT``, ``ResNet``...) drop ``super().train(mode)``'s result, so
    ``model.eval().requires_grad_(False)`` fails on None. Each ``train``
    defined in mmpretrain is wrapped to return ``self``, nothing else.
    """

    def returning_self(train: Callable) -> Callable:

        @functools.wraps(train)
        def wrapper(self, *args, **kwargs):
            result = train(self, *args, **kwargs)
            return self if result is None else result

        wrapper._semmim_returns_self = True
        return wrapper

    def patch(_module: types.ModuleType) -> None:
        import torch
        todo, seen = [torch.nn.Module], set()
        while todo:
            for cls in todo.pop().__subclasses__():
                if cls in seen:
                    continue
                seen.add(cls)
                todo.append(cls)
                train = cls.__dict__.get('train')
                if (cls.__module__.startswith('mmpretrain.')
                        and callable(train)
                        and not getattr(train, '_semmim_returns_self', False)):
                    cls.train = returning_self(train)

    # Importing any mmpretrain model module runs ``mmpretrain.models`` first,
    # which imports them all: patching right after it covers every class.
    _when_imported('mmpretrain.models', patch)


def check_collate_fn(cfg: 'Config') -> None:
    """Enforce the rule ``collate_fn=dict(type='default_collate')``.

    Else the Runner uses ``pseudo_collate``, which leaves a batch a list of
    per-sample tensors: mmpretrain's ``MultiModalDataPreprocessor`` stacks it
    to ``(C, B, H, W)`` (silently wrong when B == C) and
    ``SelfSupDataPreprocessor`` flips rows instead of channels.

    Args:
        cfg (mmengine.Config): The config to check.

    Raises:
        ValueError: One line naming the config file and the dataloader key.
    """
    from mmengine.dataset import default_collate
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader is None:
            continue
        if not isinstance(loader, Mapping):  # an already-built DataLoader
            loader = dict(collate_fn=getattr(loader, 'collate_fn', None))
        ctype = loader.get('collate_fn')
        if isinstance(ctype, Mapping):
            ctype = ctype.get('type')
        ctype = getattr(ctype, 'func', ctype)  # the Runner wraps a partial
        if ctype not in ('default_collate', 'mmengine.default_collate',
                         default_collate):
            raise ValueError(
                f'{getattr(cfg, "filename", None) or "<config>"}: {key} '
                "lacks collate_fn=dict(type='default_collate') (MMEngine's "
                "pseudo_collate default mis-batches mmpretrain's inputs)")


def apply_all() -> None:
    """Apply every fix once; later calls do nothing."""
    global _APPLIED
    if _APPLIED:
        return
    apply_torch_safe_globals()
    apply_numpy_in1d()
    apply_mmcv_adjust_hue()
    apply_train_returns_self()
    _APPLIED = True
