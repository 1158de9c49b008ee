"""Keep freed CPU memory in the process instead of handing it back.

glibc's ``malloc`` serves large requests (above the mmap threshold, which
adapts up to 32 MiB) with fresh pages from ``mmap`` and unmaps them on
``free``. A training step on the CPU allocates and frees the same large
tensors every iteration: the 30522 x 768 word-embedding gradients (94 MB
each, filled, summed with the tied decoder's), activations, attention
scores. Fresh pages fault in on first write, so a 94 MB ``zeros`` costs
about 33 ms instead of 6 ms. On a 2-core CPU that was a fifth of the
full-size step (``docs/benchmarks.md``).

:func:`keep_freed_memory` tells glibc to serve every request from its heap
(``M_MMAP_MAX = 0``) and never trim the heap (``M_TRIM_THRESHOLD``), the
effect PyTorch's CPU tuning guide gets by preloading jemalloc or tcmalloc.
Freed memory is then reused by the next step; the process's peak resident
memory does not change (it was already needed at the peak), but it is not
returned to the system while the process runs.

The default runtime config turns this on (``env_cfg.keep_freed_cpu_memory``)
for ``tools/train.py`` and ``tools/test.py``. Elsewhere than glibc (macOS,
musl) it does nothing and says so.
"""
import ctypes
import ctypes.util
import sys
from typing import Optional

# mallopt parameters (glibc malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
# glibc's defaults, restored by keep_freed_memory(False)
DEFAULT_TRIM_THRESHOLD = 128 * 1024
DEFAULT_MMAP_MAX = 65536
# mallopt takes an int; glibc stores the trim threshold as a size_t, so -1
# becomes SIZE_MAX: never trim
NEVER_TRIM = -1


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]


def _glibc() -> Optional[ctypes.CDLL]:
    if not sys.platform.startswith('linux'):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        libc.gnu_get_libc_version  # glibc only (not musl)
        libc.mallopt
    except (OSError, AttributeError):
        return None
    return libc


def keep_freed_memory(enable: bool = True) -> bool:
    """Serve large allocations from the heap and keep freed memory
    (``enable``), or go back to glibc's defaults.

    Returns:
        bool: Whether the setting was applied (False without glibc).
    """
    libc = _glibc()
    if libc is None:
        return False
    if enable:
        ok = libc.mallopt(M_MMAP_MAX, 0) and libc.mallopt(
            M_TRIM_THRESHOLD, NEVER_TRIM)
    else:
        ok = libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX) and libc.mallopt(
            M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
    return bool(ok)


def mmapped_bytes() -> Optional[int]:
    """Bytes glibc currently holds in ``mmap``-ed chunks (``mallinfo2``);
    None without glibc >= 2.33."""
    libc = _glibc()
    if libc is None or not hasattr(libc, 'mallinfo2'):
        return None
    libc.mallinfo2.restype = _Mallinfo2
    return int(libc.mallinfo2().hblkhd)
