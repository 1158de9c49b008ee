from .autocast_optim_wrapper import AutocastOptimWrapper
from .vl_optim_wrapper_constructor import VLOptimWrapperConstructor

__all__ = [
    'AutocastOptimWrapper', 'VLOptimWrapperConstructor'
]
