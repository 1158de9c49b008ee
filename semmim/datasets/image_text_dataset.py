"""Pre-training image-caption pairs in ALBEF's JSON format."""
import random
from typing import Optional

from semmim.registry import DATASETS
from .base_vl_dataset import BaseVLDataset


@DATASETS.register_module()
class ImageTextDataset(BaseVLDataset):
    """Image-caption pairs: JSON lists of ``{"image": path, "caption": str or
    [str, ...]}`` (ALBEF's pre-training format), several files concatenated.

    When an entry has several captions, one is drawn each time the sample is
    fetched, so every caption is seen over the epochs without multiplying the
    epoch length.

    Args:
        ann_file (str | Sequence[str]): One or several annotation files.
        **kwargs: See :class:`BaseVLDataset`.

    Example:
        >>> ds = ImageTextDataset(
        ...     ann_file=['annotations/pretrain_train.json'],
        ...     data_root='data/shapes_vl', pipeline=[])
    """

    def parse_entry(self, entry: dict, ann_file: str,
                    idx: int) -> Optional[dict]:
        image = self.require(entry, 'image', str, ann_file, idx)
        caption = self.require_text(entry, 'caption', ann_file, idx)
        return dict(img_path=self.image_path(image), text=caption)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if isinstance(info['text'], list):
            # python's RNG: MMEngine seeds it per worker and per epoch
            info['text'] = random.choice(info['text'])
        info['sample_idx'] = idx
        return info
