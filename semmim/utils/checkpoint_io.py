"""Reading and writing checkpoints safely.

* :func:`load_checkpoint_file`: ``torch.load`` with ``weights_only=True``
  (the :mod:`semmim.compat` allow-list covers MMEngine checkpoints), so a
  file handed over by a user never runs code; failures are one line naming
  the file. Importing this module makes it MMEngine's loader of local
  files too (``CheckpointLoader``'s scheme for paths without a prefix).
* :func:`match_state_dict`: how much of a model a checkpoint fills (the
  share of its parameters found with the right shape), failing below a
  threshold unless a partial load is intended (``checkpoint_match`` in the
  config).
* :class:`AtomicLocalBackend`: MMEngine's local file backend writing
  through a temporary file, ``fsync`` and a rename, so a crash or a full
  disk during a save leaves the previous file intact.
* :func:`checkpoint_is_intact` / :func:`latest_intact_checkpoint`: the
  newest readable checkpoint of a work dir, for ``--resume``.
"""
import os
import os.path as osp
import pickle
import re
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Union

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = [
    'CheckpointLoadError', 'load_checkpoint_file', 'match_state_dict',
    'MatchReport', 'checkpoint_match_cfg', 'AtomicLocalBackend',
    'ATOMIC_BACKEND', 'checkpoint_is_intact', 'latest_intact_checkpoint',
    'list_checkpoints', 'first_line'
]

ATOMIC_BACKEND = 'semmim_atomic_local'
# Default share of the model's parameters (by element count) a checkpoint
# must fill with the right shape; below it loading fails unless
# ``checkpoint_match = dict(allow_partial=True)``.
DEFAULT_MIN_SHARE = 0.9


class CheckpointLoadError(ValueError):
    """A checkpoint file that cannot be (or must not be) loaded."""


def first_line(err: BaseException) -> str:
    """The first non-empty line of an exception's message."""
    for line in str(err).splitlines():
        if line.strip():
            return line.strip()
    return type(err).__name__


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """``torch.load(path, weights_only=True)`` with one-line errors.

    Args:
        path (str): A checkpoint file (MMEngine's, or a plain state dict).
        map_location: See ``torch.load``. Defaults to 'cpu'.

    Returns:
        The loaded object (a dict for every checkpoint semmim writes).

    Raises:
        FileNotFoundError: No such file.
        CheckpointLoadError: The file is not a checkpoint
            (truncated, corrupted, another format), or holds objects other
            than tensors and MMEngine's training state: the unpickler
            refuses to build them, so no code in the file ever runs.
    """
    import semmim.compat
    semmim.compat.apply_torch_safe_globals()
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: checkpoint not found')
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        # torch's message: "Weights only load failed. ... Unsupported
        # global: GLOBAL os.system ..." over ~15 lines: keep what it names
        found = re.search(r'unsupported (?:global:? )?GLOBAL ([\w.]+)',
                          str(e), re.IGNORECASE)
        what = (f'a call to {found.group(1)}' if found else
                re.search(r'Unsupported operand \d+|$', str(e)).group(0)
                or first_line(e))
        raise CheckpointLoadError(
            f'{path}: refused to unpickle: the file holds objects other '
            f'than tensors and training state ({what}); load only files you '
            'trust, and convert them to a weights-only checkpoint') from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile) as e:
        raise CheckpointLoadError(
            f'{path}: not a readable checkpoint (truncated or corrupted?): '
            f'{first_line(e).split(". ")[0]}') from None


def _load_from_local(filename: str, map_location=None):
    """MMEngine's loader of local files (``load_from``, ``--resume``,
    ``init_cfg=dict(type='Pretrained')``), through
    :func:`load_checkpoint_file`: weights only, one-line errors."""
    return load_checkpoint_file(osp.expanduser(filename), map_location)


CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local,
                                 force=True)


# ----------------------------------------------------------------------
# checkpoint matching
# ----------------------------------------------------------------------
@dataclass
class MatchReport:
    """How a checkpoint's state dict fits a model."""
    found: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    # buffers (queues, counters) whose shape differs: left at their initial
    # values, not counted in the share
    mismatched_buffers: List[str] = field(default_factory=list)
    share: float = 0.0
    numel: int = 0

    def summary(self, source: str, limit: int = 3) -> str:
        """One line: the share, the first missing and mismatched keys."""

        def first(keys):
            more = f' (+{len(keys) - limit} more)' if len(keys) > limit else ''
            return ', '.join(keys[:limit]) + more

        parts = [f'{source}: {100 * self.share:.1f}% of the model\'s '
                 f'parameters found with the right shape '
                 f'({len(self.found)} tensors)']
        if self.missing:
            parts.append(f'missing {len(self.missing)}: '
                         f'{first(self.missing)}')
        if self.mismatched:
            parts.append(f'wrong shape {len(self.mismatched)}: '
                         f'{first(self.mismatched)}')
        if self.mismatched_buffers:
            parts.append(f'buffers of another size kept at their initial '
                         f'values: {first(self.mismatched_buffers)}')
        if self.unexpected:
            parts.append(f'{len(self.unexpected)} checkpoint tensors unused')
        return '; '.join(parts)


def checkpoint_match_cfg(cfg: Optional[Mapping],
                         checkpoint: Optional[Mapping] = None) -> dict:
    """``cfg.checkpoint_match`` with its defaults filled in.

    ``min_share`` (default 0.9): share of the model's parameters (by
    element count) a checkpoint must fill with the right shape;
    ``allow_partial`` (default False): accept any share (the partial load
    is intended), still reporting it. A checkpoint whose ``meta`` has
    ``partial_checkpoint=True`` (written partial on purpose, e.g. by the
    code-purity study's ``shape_supervised_vit.py``) counts as intended.
    """
    out = dict(min_share=DEFAULT_MIN_SHARE, allow_partial=False)
    meta = (checkpoint or {}).get('meta') if isinstance(
        checkpoint, Mapping) else None
    if isinstance(meta, Mapping) and meta.get('partial_checkpoint'):
        out['allow_partial'] = True
    user = (cfg or {}).get('checkpoint_match') or {}
    unknown = set(user) - set(out)
    if unknown:
        raise ValueError(f'checkpoint_match: unknown key(s) '
                         f'{sorted(unknown)}; expected {sorted(out)}')
    out.update(user)
    return out


def _strip_prefix(state: Mapping) -> Dict[str, object]:
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()}


def _run_load_pre_hooks(model: torch.nn.Module, state: dict) -> None:
    """Let the modules adapt ``state`` as ``load_state_dict`` would (e.g.
    mmpretrain's ViT resizes ``pos_embed`` to its own image size)."""
    for name, module in model.named_modules():
        hooks = getattr(module, '_load_state_dict_pre_hooks', None)
        if not hooks:
            continue
        prefix = f'{name}.' if name else ''
        for hook in list(hooks.values()):
            hook(state, prefix, {}, False, [], [], [])


def match_state_dict(model: torch.nn.Module,
                     state: Mapping,
                     source: str = 'checkpoint',
                     min_share: float = DEFAULT_MIN_SHARE,
                     allow_partial: bool = False):
    """Compare a checkpoint's state dict with ``model`` and prepare it.

    Args:
        model (nn.Module): The model to load into (unwrapped).
        state (Mapping): The checkpoint's ``state_dict`` (a ``module.``
            prefix is removed).
        source (str): Names the checkpoint in messages.
        min_share (float): Fail when fewer of the model's parameters (by
            element count) are found with the right shape.
        allow_partial (bool): Never fail; the partial load is intended.

    Returns:
        tuple[dict, MatchReport]: The state dict to load (adapted by the
        modules' load pre-hooks, without the entries of the wrong shape or
        unknown to the model) and the report.

    Raises:
        CheckpointLoadError: The share is below ``min_share`` and
            ``allow_partial`` is False; one line naming the file, the first
            missing and wrong-shape keys.
    """
    state = _strip_prefix(state)
    _run_load_pre_hooks(model, state)
    params = dict(model.named_parameters())
    own = model.state_dict()
    report = MatchReport()
    total = found = 0
    keep = {}
    for key, value in own.items():
        is_param = key in params
        if is_param:
            total += value.numel()
        if key not in state:
            if is_param:
                report.missing.append(key)
            continue
        theirs = state[key]
        if not isinstance(theirs, torch.Tensor) or \
                theirs.shape != value.shape:
            (report.mismatched if is_param else
             report.mismatched_buffers).append(key)
            continue
        keep[key] = theirs
        if is_param:
            found += value.numel()
            report.found.append(key)
    report.unexpected = [k for k in state if k not in own]
    report.numel = total
    report.share = found / total if total else 1.0
    if report.share < min_share and not allow_partial:
        raise CheckpointLoadError(
            report.summary(source) + f'; below the {100 * min_share:.0f}% '
            'required: is it a checkpoint of this model? (set '
            'checkpoint_match=dict(allow_partial=True) if a partial load is '
            'intended)')
    return keep, report


def load_weights(model: torch.nn.Module, path: str,
                 cfg: Optional[Mapping] = None):
    """Load ``path`` into ``model`` for inference: safe, matched.

    Returns:
        MatchReport: What was found (the caller may log
        ``report.summary(path)``).
    """
    ckpt = load_checkpoint_file(path)
    if not isinstance(ckpt, Mapping):
        raise CheckpointLoadError(f'{path}: expected a checkpoint dict, got '
                                  f'{type(ckpt).__name__}')
    state = ckpt.get('state_dict', ckpt)
    keep, report = match_state_dict(model, state, path,
                                    **checkpoint_match_cfg(cfg, ckpt))
    model.load_state_dict(keep, strict=False)
    return report


# ----------------------------------------------------------------------
# atomic writes
# ----------------------------------------------------------------------
def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder or '.', os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(data: Union[bytes, str], path: str) -> None:
    """Write ``data`` to ``path`` through ``path.tmp-PID``, fsync, rename.

    Readers see the old file or the whole new one, never a part; on an
    error (a full disk) the temporary file is removed and the old file is
    untouched.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}'
    mode = 'wb' if isinstance(data, (bytes, bytearray, memoryview)) else 'w'
    try:
        with open(tmp, mode) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


class AtomicLocalBackend(LocalBackend):
    """MMEngine's ``LocalBackend`` whose ``put``/``put_text`` write
    atomically (see :func:`atomic_write`).

    Registered as ``semmim_atomic_local``; ``prepare_cfg`` makes it the
    ``CheckpointHook``'s backend unless the config picks another.
    """

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), str(filepath))


register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)


# ----------------------------------------------------------------------
# finding an intact checkpoint
# ----------------------------------------------------------------------
def checkpoint_is_intact(path: str) -> Optional[str]:
    """None if ``path`` is a complete zip checkpoint (every member's CRC
    checks out), else why not, in a few words."""
    if not osp.isfile(path):
        return 'not found'
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        return f'truncated or corrupted ({first_line(e)})'
    if bad is not None:
        return f'corrupted ({bad} fails its CRC check)'
    return None


_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def list_checkpoints(work_dir: str) -> List[str]:
    """``epoch_N.pth`` / ``iter_N.pth`` files of ``work_dir``, newest (by
    modification time, then number) first."""
    if not osp.isdir(work_dir):
        return []
    found = []
    for name in os.listdir(work_dir):
        m = _CKPT_NAME.match(name)
        if m:
            path = osp.join(work_dir, name)
            found.append((osp.getmtime(path), int(m.group(2)), path))
    return [p for _, _, p in sorted(found, reverse=True)]


def latest_intact_checkpoint(newest: str,
                             candidates: Sequence[str]) -> Optional[str]:
    """The first of ``candidates`` (other than ``newest``) that is intact."""
    for path in candidates:
        if osp.abspath(path) == osp.abspath(newest):
            continue
        if checkpoint_is_intact(path) is None:
            return path
    return None
