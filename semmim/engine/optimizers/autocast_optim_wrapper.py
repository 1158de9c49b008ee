"""bf16 autocast for training on any device, CPUs with AMX included."""
import time
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from semmim.registry import OPTIM_WRAPPERS


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
    20-700x slower than fp32 (0.1-1.9 GFLOP/s on an AMD EPYC 7001), so an
    ``n = 1024`` measurement would take minutes; the probe's ratio is
    returned as soon as it shows bf16 losing by 2x or more.
    """
    probe = matmul_peak(torch.bfloat16, probe_n, 2) / \
        matmul_peak(torch.float32, probe_n, 2)
    if probe < 0.5:
        return probe
    return matmul_peak(torch.bfloat16, n, repeat) / \
        matmul_peak(torch.float32, n, repeat)


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Mixed precision through ``autocast`` with bf16, without loss scaling.

    MMEngine's ``AmpOptimWrapper`` insists on an accelerator (its gradient
    scaler is for fp16). bf16 has fp32's exponent range, so it needs no
    scaler, and PyTorch's CPU autocast runs it; on CPUs with AMX, bf16
    matrix products are about 4x faster than fp32. This wrapper is the
    plain ``OptimWrapper`` with the forward pass inside
    ``mmengine.runner.amp.autocast`` (parameters, gradients and optimizer
    states stay fp32). ``tools/train.py --amp`` picks it on a CPU whose
    bf16 matmuls beat fp32, and refuses on one where they do not.

    Args:
        dtype (str | torch.dtype): Autocast dtype. Defaults to bfloat16.
        device_type (str, optional): ``'cpu'`` or ``'cuda'``; by default
            the device MMEngine trains on.
        **kwargs: ``OptimWrapper``'s arguments.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 device_type: str = None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        self.cast_dtype = dtype
        self.device_type = device_type

    @contextmanager
    def optim_context(self, model: nn.Module):
        from mmengine.runner.amp import autocast
        with super().optim_context(model), autocast(
                device_type=self.device_type, dtype=self.cast_dtype):
            yield
