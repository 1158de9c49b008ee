from .encoding_head import EncodingHead

__all__ = ['EncodingHead']
