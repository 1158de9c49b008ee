"""Inference the way mmpretrain's users expect: models by name
(:func:`get_model`, :func:`list_models`) and one inferencer per task."""
from .image_caption import ImageCaptionInferencer
from .image_text_retrieval import (ImageToTextRetrievalInferencer,
                                   TextToImageRetrievalInferencer)
from .model import ModelHub, get_model, inference_model, list_models
from .visual_question_answering import VisualQuestionAnsweringInferencer

__all__ = [
    'ImageCaptionInferencer', 'ImageToTextRetrievalInferencer',
    'TextToImageRetrievalInferencer', 'VisualQuestionAnsweringInferencer',
    'ModelHub', 'get_model', 'inference_model', 'list_models'
]
