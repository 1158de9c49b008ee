from .optional_tensorboard_vis_backend import OptionalTensorboardVisBackend

__all__ = ['OptionalTensorboardVisBackend']
