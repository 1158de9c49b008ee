"""Inference on images and texts from a config and a checkpoint."""
from .image_caption import ImageCaptionInferencer
from .image_text_retrieval import (ImageToTextRetrievalInferencer,
                                   TextToImageRetrievalInferencer)
from .visual_question_answering import VisualQuestionAnsweringInferencer

__all__ = [
    'ImageCaptionInferencer', 'ImageToTextRetrievalInferencer',
    'TextToImageRetrievalInferencer', 'VisualQuestionAnsweringInferencer'
]
