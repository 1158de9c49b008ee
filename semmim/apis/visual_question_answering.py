"""Answers to questions about images."""
from typing import List, Optional, Sequence, Union

from .base import BaseVLInferencer, ImageType


class VisualQuestionAnsweringInferencer(BaseVLInferencer):
    """Answer questions about images with :class:`SemMIMVQA`.

    Object labels and OCR tokens are appended to the question as the
    config's dataset does (its ``extra_fields``).

    Args:
        config (str | Config): A VQA config.
        checkpoint (str, optional): Weights.
        device (str): Defaults to 'cpu'.

    Example:
        >>> inferencer = VisualQuestionAnsweringInferencer(CONFIG, CKPT)
        >>> inferencer('image.png', 'what color is the star?')[0]
        {'question': 'what color is the star?', 'pred_answer': 'red'}
    """

    def __init__(self, config, checkpoint=None, device='cpu'):
        super().__init__(config, checkpoint, device)
        self.pipeline = self.build_pipeline(text_keys=('question', ))
        dataset = (self.cfg.get('test_dataloader') or {}).get('dataset', {})
        self.extra_fields = dict(dataset.get('extra_fields') or {})

    def __call__(self,
                 images: Union[ImageType, Sequence[ImageType]],
                 questions: Union[str, Sequence[str]],
                 extras: Optional[Sequence[dict]] = None,
                 batch_size: int = 16) -> List[dict]:
        """Answer ``questions[i]`` about ``images[i]`` (one image and one
        question may be given without lists).

        Args:
            images: Paths, BGR arrays or PIL images.
            questions: The questions.
            extras (Sequence[dict], optional): Per question, extra fields
                such as ``dict(objects=[...], ocr=[...])``; used for the
                fields the config appends.
            batch_size (int): Defaults to 16.

        Returns:
            list[dict]: ``question`` and ``pred_answer`` per question.
        """
        from semmim.datasets.vqa_dataset import append_extra_fields
        single = isinstance(questions, str)
        questions = [questions] if single else list(questions)
        if single or not isinstance(images, (list, tuple)):
            images = [images] * len(questions)
        if len(images) != len(questions):
            raise ValueError(f'{len(images)} images for {len(questions)} '
                             'questions')
        extras = list(extras) if extras is not None else [{}] * len(
            questions)
        samples = [
            dict(image=img, question=append_extra_fields(
                q, extra, self.extra_fields))
            for img, q, extra in zip(images, questions, extras)
        ]
        results = []
        for chunk in self.batches(samples, batch_size):
            preds = self.predict(
                [self.sample(s['image'], question=s['question'])
                 for s in chunk], self.pipeline)
            for s, pred in zip(chunk, preds):
                results.append(
                    dict(question=s['question'],
                         pred_answer=pred.pred_answer))
        return results
