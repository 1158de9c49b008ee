from .retrieval_metric import RetrievalRecallMetric
from .vqa_metric import VQAMetric  # noqa: F401
from .caption_metric import COCOCaptionMetric  # noqa: F401

__all__ = ['RetrievalRecallMetric']
