from .vl_optim_wrapper_constructor import VLOptimWrapperConstructor

__all__ = ['VLOptimWrapperConstructor']
