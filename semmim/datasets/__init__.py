from .bad_samples import BadSampleError
from .base_vl_dataset import BaseVLDataset
from .image_text_dataset import ImageTextDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['BadSampleError', 'BaseVLDataset', 'ImageTextDataset']
