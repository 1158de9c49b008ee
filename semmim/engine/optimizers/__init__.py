from .autocast_optim_wrapper import (AutocastOptimWrapper, cpu_bf16_speedup,
                                     matmul_peak)
from .vl_optim_wrapper_constructor import VLOptimWrapperConstructor

__all__ = [
    'AutocastOptimWrapper', 'VLOptimWrapperConstructor', 'cpu_bf16_speedup',
    'matmul_peak'
]
