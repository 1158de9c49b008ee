"""Answers to questions about images."""
from typing import List, Optional, Sequence, Union

from .base import BaseVLInferencer, ImageType, load_image


class VisualQuestionAnsweringInferencer(BaseVLInferencer):
    """Answer questions about images with :class:`SemMIMVQA`.

    Object labels and OCR tokens are appended to the question as the
    config's dataset does (its ``extra_fields``).

    Args:
        model (str | Config | BaseModel): A VQA model's name (see
            ``VisualQuestionAnsweringInferencer.list_models()``), config
            file or config, or a model from :func:`semmim.apis.get_model`.
        pretrained (str, optional): Weights.
        device (str, optional): Defaults to CUDA when available.

    Example:
        >>> inferencer = VisualQuestionAnsweringInferencer(
        ...     'semmim-vqa_vit-t-p8_1xb64_shapes-vl', 'vqa.pth')
        >>> inferencer('image.png', 'what color is the star?')[0]
        {'question': 'what color is the star?', 'pred_answer': 'red'}
    """
    task = 'Visual Question Answering'

    def __init__(self, model, pretrained=None, device=None, **kwargs):
        super().__init__(model, pretrained, device, **kwargs)
        self.pipeline = self.build_pipeline(text_keys=('question', ))
        dataset = (self.cfg.get('test_dataloader') or {}).get('dataset', {})
        self.extra_fields = dict(dataset.get('extra_fields') or {})

    def __call__(self,
                 images: Union[ImageType, Sequence[ImageType]],
                 questions: Union[str, Sequence[str]],
                 extras: Optional[Sequence[dict]] = None,
                 batch_size: int = 16,
                 return_datasamples: bool = False,
                 show_dir: Optional[str] = None,
                 show: bool = False,
                 resize: Optional[int] = None) -> List[dict]:
        """Answer ``questions[i]`` about ``images[i]`` (one image and one
        question may be given without lists).

        Args:
            images: Paths, BGR arrays or PIL images.
            questions: The questions.
            extras (Sequence[dict], optional): Per question, extra fields
                such as ``dict(objects=[...], ocr=[...])``; used for the
                fields the config appends.
            batch_size (int): Defaults to 16.
            return_datasamples (bool): Return the model's data samples.
            show_dir (str, optional): Save a picture of each question and
                answer here (``<image stem>_<i>.png``).
            show (bool): Show the pictures in a window.
            resize (int, optional): Resize the pictures' short edge.

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
        preds = []
        for chunk in self.track(self.batches(samples, batch_size),
                                len(samples), 'Answering'):
            preds.extend(self.predict(
                [self.sample(s['image'], question=s['question'])
                 for s in chunk], self.pipeline))
        for i, (s, pred) in enumerate(zip(samples, preds)):
            pred.set_field(s['question'], 'question')
            if show_dir is not None or show:
                name = f'{self.image_name(s["image"], i)}_{i}'
                self.draw('visualize_vqa', show_dir, show, name,
                          load_image(s['image'])[..., ::-1], pred,
                          resize=resize)
        if return_datasamples:
            return preds
        return [
            dict(question=s['question'], pred_answer=pred.pred_answer)
            for s, pred in zip(samples, preds)
        ]
