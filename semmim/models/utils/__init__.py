from .data_preprocessor import VLDataPreprocessor
from .mask_generator import TextGuidedMaskGenerator
from .momentum import MomentumEMA
from .tokenizer import LocalBertTokenizer

__all__ = [
    'LocalBertTokenizer', 'MomentumEMA',
    'TextGuidedMaskGenerator', 'VLDataPreprocessor'
]
