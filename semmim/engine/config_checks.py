"""Start-up checks of a config and its overrides, and one-line errors.

MMEngine accepts ``--cfg-options`` keys it will never read (a top-level
variable such as ``data_root``, already substituted into the dataloaders
when the config was read) and builds hooks and loops only when it needs
them, so a misspelt argument fails after an epoch. These checks run before
the Runner is built and raise one line each.
"""
import difflib
import inspect
import logging
import os
import sys
import traceback
from contextlib import contextmanager
from typing import Iterable, List, Mapping, Optional

from mmengine.config import Config

__all__ = [
    'RUNNER_KEYS', 'check_cfg_options', 'check_hook_and_loop_args',
    'check_model_type', 'quiet_console', 'run_tool'
]

# Top-level keys that MMEngine's Runner (and semmim's tools) read; every
# other top-level name in a config is a variable, used while it was read.
_EXTRA_KEYS = {
    'runner_type', 'model_wrapper_cfg', 'find_unused_parameters', 'strategy',
    'compile', 'activation_checkpointing', 'efficient_conv_bn_eval',
    'checkpoint_match', 'gpu_ids', 'work_dir', 'launcher'
}


def _runner_keys() -> set:
    from mmengine.runner import Runner
    params = set(inspect.signature(Runner.__init__).parameters)
    return (params - {'self', 'cfg'}) | _EXTRA_KEYS


RUNNER_KEYS = _runner_keys()


def _uses(cfg: Mapping, value, prefix: str = '') -> List[str]:
    """Dotted paths of ``cfg`` whose value equals ``value``."""
    found = []
    if isinstance(cfg, Mapping):
        items = cfg.items()
    elif isinstance(cfg, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(cfg))
    else:
        return found
    for key, item in items:
        path = f'{prefix}.{key}' if prefix else str(key)
        if isinstance(item, (Mapping, list, tuple)):
            found += _uses(item, value, path)
        elif item == value and type(item) is type(value):
            found.append(path)
    return found


def check_cfg_options(cfg: Config, options: Optional[Mapping],
                      source: str = '--cfg-options') -> None:
    """Refuse overrides of top-level keys nothing will read.

    Args:
        cfg (Config): The config as read (before merging ``options``).
        options (Mapping, optional): ``key=value`` overrides (dotted keys).

    Raises:
        ValueError: One line naming the key and, for a config variable,
            the fields that took its value (override those instead).
    """
    for key in options or {}:
        top = str(key).split('.')[0]
        if top in RUNNER_KEYS:
            continue
        name = cfg.filename or 'the config'
        if top in cfg:
            value = cfg[top]
            uses = [p for p in _uses(cfg._cfg_dict.to_dict(), value)
                    if p.split('.')[0] in RUNNER_KEYS]
            # a number matches by chance: keep the fields of the same name
            named = [p for p in uses if p.split('.')[-1] == top]
            uses = named or (uses if isinstance(value, str) else [])
            hint = (f'override where it was used instead, e.g. '
                    f'{uses[0]}=...' +
                    (f' ({len(uses)} places: {", ".join(uses[:3])}'
                     f'{"..." if len(uses) > 3 else ""})'
                     if len(uses) > 1 else '')
                    if uses else 'override the fields that use it instead')
            raise ValueError(
                f'{source} {key}: {top!r} is a variable of {name}, already '
                f'used when the config was read, so changing it does '
                f'nothing; {hint}')
        close = difflib.get_close_matches(top, sorted(RUNNER_KEYS), 1)
        raise ValueError(
            f'{source} {key}: {top!r} is not a setting the runner reads' +
            (f' (did you mean {close[0]!r}?)' if close else ''))


def _accepted(cls) -> Optional[set]:
    """Keyword arguments ``cls`` accepts; None when it takes ``**kwargs``
    that go somewhere we cannot see."""
    if cls.__init__ is object.__init__:
        return set()  # no arguments at all
    params = inspect.signature(cls.__init__).parameters
    names = {n for n, p in params.items()
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        from mmengine.hooks import CheckpointHook
        if issubclass(cls, CheckpointHook):
            # its **kwargs go to Runner.save_checkpoint, which takes no
            # more than what CheckpointHook passes already
            return names
        return None
    return names


def _check_args(where: str, cfg: Mapping, cls, implied: Iterable[str] = (),
                cfg_file: str = 'the config') -> None:
    accepted = _accepted(cls)
    if accepted is None:
        return
    accepted = accepted | set(implied) | {'type'}
    for key in cfg:
        if key not in accepted:
            close = difflib.get_close_matches(key, sorted(accepted), 1)
            raise ValueError(
                f'{cfg_file}: {where}.{key}: {cls.__name__} takes no '
                f'argument {key!r}' +
                (f' (did you mean {close[0]!r}?)' if close else ''))


def _resolve(registry, cfg: Mapping, where: str, cfg_file: str):
    kind = cfg.get('type')
    if not isinstance(kind, str):
        return kind if inspect.isclass(kind) else None
    cls = registry.get(kind)
    if cls is None:
        raise ValueError(f'{cfg_file}: {where}.type: {kind!r} is not a '
                         f'registered {registry.name}')
    return cls if inspect.isclass(cls) else None


def check_hook_and_loop_args(cfg: Config) -> None:
    """Refuse hook and loop arguments their classes will not accept.

    Raises:
        ValueError: One line naming the config file, the key and the
            argument (with the closest accepted name).
    """
    from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop,
                                 TestLoop, ValLoop)

    from semmim.registry import HOOKS, LOOPS
    cfg_file = cfg.filename or 'the config'
    hooks = []
    for name, hook in (cfg.get('default_hooks') or {}).items():
        hooks.append((f'default_hooks.{name}', hook))
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        hooks.append((f'custom_hooks[{i}]', hook))
    for where, hook in hooks:
        if not isinstance(hook, Mapping):
            continue
        cls = _resolve(HOOKS, hook, where, cfg_file)
        if cls is not None:
            _check_args(where, hook, cls, ('priority', ), cfg_file)
    loops = dict(train_cfg=(EpochBasedTrainLoop, ('runner', 'dataloader')),
                 val_cfg=(ValLoop, ('runner', 'dataloader', 'evaluator')),
                 test_cfg=(TestLoop, ('runner', 'dataloader', 'evaluator')))
    for key, (default, given) in loops.items():
        loop = cfg.get(key)
        if not isinstance(loop, Mapping) or not loop:
            continue
        if 'type' in loop:
            cls = _resolve(LOOPS, loop, key, cfg_file)
            implied = given
        else:
            cls = default
            if key == 'train_cfg' and not loop.get('by_epoch', True):
                cls = IterBasedTrainLoop
            implied = given + (('by_epoch', ) if key == 'train_cfg' else ())
        if cls is not None:
            _check_args(key, loop, cls, implied, cfg_file)


def check_model_type(cfg: Config) -> None:
    """Refuse a ``model.type`` no registry knows, naming the config."""
    from semmim.registry import MODELS
    model = cfg.get('model')
    kind = model.get('type') if isinstance(model, Mapping) else None
    if not isinstance(kind, str) or MODELS.get(kind) is not None:
        return
    close = difflib.get_close_matches(kind, sorted(MODELS.module_dict), 1)
    raise ValueError(
        f'{cfg.filename or "the config"}: model.type: {kind!r} is not a '
        'registered model' +
        (f' (did you mean {close[0]!r}?)' if close else ''))


# ----------------------------------------------------------------------
# one-line errors
# ----------------------------------------------------------------------
class _QuietFilter(logging.Filter):
    """Drops console records below WARNING while ``active``."""

    active = False

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.active or record.levelno >= logging.WARNING


_QUIET = _QuietFilter()


@contextmanager
def quiet_console():
    """While building a Runner, keep its INFO records (environment, config
    and hook tables) out of the console: they still go to the log file."""
    from mmengine.logging import MMLogger
    original = MMLogger.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        for handler in self.handlers:
            if type(handler) is logging.StreamHandler:
                handler.addFilter(_QUIET)

    MMLogger.__init__ = init
    _QUIET.active = True
    try:
        yield
    finally:
        MMLogger.__init__ = original
        _QUIET.active = False


def _loggers() -> dict:
    from mmengine.logging import MMLogger
    return dict(MMLogger._instance_dict)


def _log_file(before: dict) -> Optional[str]:
    """The log file of a logger made since ``before`` (the run's)."""
    found = None
    for name, logger in _loggers().items():  # newest last
        if name in before:
            continue
        for handler in logger.handlers:
            if isinstance(handler, logging.FileHandler) and \
                    os.path.isfile(handler.baseFilename):
                found = handler.baseFilename
    return found


def _lost_rank(e: BaseException, message: str) -> Optional[str]:
    """A clear line for a collective that failed because a peer rank died
    or hung past the process group's timeout; None for other errors."""
    import re

    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return None
    dist_error = getattr(dist, 'DistError', ())
    if not (isinstance(e, dist_error) or re.search(
            r'gloo|nccl|connection (reset|closed)|timed? ?out', message,
            re.IGNORECASE)):
        return None
    detail = re.sub(r'^\[[^\]]*\] ', '', message).split('. ')[0]
    return (f'rank {dist.get_rank()} of {dist.get_world_size()}: lost '
            'another rank of the distributed run (it died, or hung past '
            f'env_cfg.dist_cfg.timeout); see its log ({detail})')


def _calm_signals() -> None:
    """Drop PyTorch's SIGCHLD handler (it raises again, at any point, when
    a DataLoader worker has died) while the error is reported."""
    import signal
    import threading
    if hasattr(signal, 'SIGCHLD') and \
            threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def _from_dead_worker(e: BaseException) -> bool:
    """An EOF or reset connection met while reading a DataLoader worker's
    queue: the worker died mid-batch (killed, out of memory)."""
    if not isinstance(e, (EOFError, ConnectionResetError)):
        return False
    frames = traceback.extract_tb(e.__traceback__)
    return any('torch/utils/data' in f.filename.replace(os.sep, '/')
               for f in frames)


def _report(e: BaseException, before: dict) -> None:
    message = str(e).strip().splitlines()
    message = message[0] if message else type(e).__name__
    lost = _lost_rank(e, message)
    if lost:
        message = lost
    elif _from_dead_worker(e):
        message = ('a DataLoader worker exited unexpectedly (the main '
                   f'process read {type(e).__name__}: {message} from it)')
    elif not isinstance(e, (ValueError, FileNotFoundError, KeyError)):
        message = f'{type(e).__name__}: {message}'
    print(f'error: {message}', file=sys.stderr, flush=True)
    text = ''.join(traceback.format_exception(e))
    log_file = _log_file(before)
    if log_file:
        with open(log_file, 'a', encoding='utf-8') as f:
            f.write(text)
        print(f'(traceback in {log_file})', file=sys.stderr)
    elif os.environ.get('SEMMIM_TRACEBACK'):
        print(text, file=sys.stderr)


def run_tool(main, argv=None) -> int:
    """Run a tool's ``main``; an exception reaches the user as one line.

    The first line on stderr is ``error: <message>``; the traceback goes
    to the run's log file when there is one (its path is printed), else it
    is printed only with ``SEMMIM_TRACEBACK=1``.
    """
    before = _loggers()
    try:
        main() if argv is None else main(argv)
        return 0
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:  # noqa: B902
        error = e
    for _ in range(3):  # an asynchronous error may interrupt the report
        try:
            _calm_signals()
            _report(error, before)
            break
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as again:  # noqa: B902
            error = again
    return 1
