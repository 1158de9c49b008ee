from .semmim import SemMIM
from .semmim_retrieval import SemMIMRetrieval
from .semmim_vqa import SemMIMVQA  # noqa: F401
from .semmim_caption import SemMIMCaption  # noqa: F401

__all__ = ['SemMIM', 'SemMIMRetrieval']
