"""Captions for images."""
from typing import List, Sequence, Union

from .base import BaseVLInferencer, ImageType, list_images


class ImageCaptionInferencer(BaseVLInferencer):
    """Caption images with a captioning model (``predict`` sets
    ``pred_caption``, as :class:`SemMIMCaption` does).

    Args:
        config (str | Config): A captioning config.
        checkpoint (str, optional): Weights.
        device (str): Defaults to 'cpu'.

    Example:
        >>> inferencer = ImageCaptionInferencer(CONFIG, CKPT)
        >>> inferencer('image.png')[0]['pred_caption']
        'a large red circle above a small blue square'
    """

    def __init__(self, config, checkpoint=None, device='cpu'):
        super().__init__(config, checkpoint, device)
        self.pipeline = self.build_pipeline()

    def __call__(self, images: Union[ImageType, Sequence[ImageType]],
                 batch_size: int = 16) -> List[dict]:
        """Returns one ``dict(pred_caption=str)`` per image (a directory
        means its image files, sorted)."""
        results = []
        for chunk in self.batches(list_images(images), batch_size):
            for s in self.predict([self.sample(i) for i in chunk],
                                  self.pipeline):
                results.append(dict(pred_caption=s.pred_caption))
        return results
