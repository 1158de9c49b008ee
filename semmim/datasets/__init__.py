from .bad_samples import BadSampleError
from .base_vl_dataset import BaseVLDataset
from .hard_batch_sampler import HardBatchSampler
from .image_text_dataset import ImageTextDataset
from .retrieval_dataset import RetrievalDataset
from .vqa_dataset import VQADataset  # noqa: F401
from .caption_dataset import CaptionDataset  # noqa: F401
from .transforms import *  # noqa: F401,F403

__all__ = ['BadSampleError', 'BaseVLDataset', 'HardBatchSampler',
           'ImageTextDataset',
           'RetrievalDataset']
