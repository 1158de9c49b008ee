"""bf16 autocast for training on any device, CPUs with AMX included."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from semmim.registry import OPTIM_WRAPPERS


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
