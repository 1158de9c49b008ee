from .loading import LoadImageOrSkip
from .text import PreCaption

__all__ = ['LoadImageOrSkip', 'PreCaption']
