from .semmim import SemMIM

__all__ = ['SemMIM']
