"""Captions for images."""
from typing import List, Optional, Sequence, Union

from .base import BaseVLInferencer, ImageType, list_images, load_image


class ImageCaptionInferencer(BaseVLInferencer):
    """Caption images with a captioning model (``predict`` sets
    ``pred_caption``, as :class:`SemMIMCaption` does).

    Args:
        model (str | Config | BaseModel): A captioning model's name (see
            ``ImageCaptionInferencer.list_models()``), config file or
            config, or a model from :func:`semmim.apis.get_model`.
        pretrained (str, optional): Weights.
        device (str, optional): Defaults to CUDA when available.

    Example:
        >>> inferencer = ImageCaptionInferencer(
        ...     'semmim-caption_vit-t-p8_1xb64-ce_shapes-vl', 'caption.pth')
        >>> inferencer('image.png')[0]['pred_caption']
        'a large red circle above a small blue square'
    """
    task = 'Image Caption'

    def __init__(self, model, pretrained=None, device=None, **kwargs):
        super().__init__(model, pretrained, device, **kwargs)
        self.pipeline = self.build_pipeline()

    def __call__(self,
                 images: Union[ImageType, Sequence[ImageType]],
                 return_datasamples: bool = False,
                 batch_size: int = 16,
                 show_dir: Optional[str] = None,
                 show: bool = False,
                 resize: Optional[int] = None) -> List[dict]:
        """Caption ``images`` (a directory means its image files, sorted).

        Args:
            images: Paths, BGR arrays, PIL images, or a directory.
            return_datasamples (bool): Return the model's data samples.
            batch_size (int): Defaults to 16.
            show_dir (str, optional): Save a picture of each caption here
                (``<image stem>.png``).
            show (bool): Show the pictures in a window.
            resize (int, optional): Resize the pictures' short edge.

        Returns:
            list[dict]: ``pred_caption`` per image.
        """
        images = list_images(images)
        preds = []
        for chunk in self.track(self.batches(images, batch_size),
                                len(images), 'Captioning'):
            preds.extend(self.predict([self.sample(i) for i in chunk],
                                      self.pipeline))
        for i, (image, pred) in enumerate(zip(images, preds)):
            if show_dir is None and not show:
                break
            self.draw('visualize_image_caption', show_dir, show,
                      self.image_name(image, i),
                      load_image(image)[..., ::-1], pred, resize=resize)
        if return_datasamples:
            return preds
        return [dict(pred_caption=p.pred_caption) for p in preds]
