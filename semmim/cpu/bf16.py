"""bf16 on a CPU: is it faster than fp32 here?

CPUs with AMX (recent Intel Xeons) run bf16 matrix products about 4x faster
than fp32; CPUs without native bf16 emulate it, 20-700x slower.
``tools/train.py --amp`` asks :func:`cpu_bf16_speedup` before it trains
with bf16 autocast on a CPU, and ``benchmark_train.py`` measures both peaks
with :func:`matmul_peak`.
"""
import time

import torch


def matmul_peak(dtype: torch.dtype = torch.float32, n: int = 2048,
                repeat: int = 6) -> float:
    """Best FLOP/s of an ``n x n`` matrix multiply on this machine now."""
    a = torch.randn(n, n, dtype=dtype)
    b = torch.randn(n, n, dtype=dtype)
    a @ b
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * n**3 / (time.perf_counter() - t))
    return best


def cpu_bf16_speedup(n: int = 1024, repeat: int = 4,
                     probe_n: int = 256) -> float:
    """bf16 over fp32 matmul throughput on this CPU (about 4 with AMX,
    below 1 on CPUs that emulate bf16).

    A ``probe_n`` matmul is timed first: where bf16 is emulated it can run
    20-700x slower than fp32 (0.1-1.9 GFLOP/s on AVX2 without AMX), so an
    ``n = 1024`` measurement would take minutes; the probe's ratio is
    returned as soon as it shows bf16 losing by 2x or more.
    """
    probe = matmul_peak(torch.bfloat16, probe_n, 2) / \
        matmul_peak(torch.float32, probe_n, 2)
    if probe < 0.5:
        return probe
    return matmul_peak(torch.bfloat16, n, repeat) / \
        matmul_peak(torch.float32, n, repeat)
