"""Image-text retrieval data in Karpathy's JSON format (ALBEF's files)."""
from typing import List, Optional

from semmim.registry import DATASETS
from .base_vl_dataset import BaseVLDataset


@DATASETS.register_module()
class RetrievalDataset(BaseVLDataset):
    """Karpathy-split retrieval annotations.

    * Training (``test_mode=False``): one entry per caption,
      ``{"image", "caption": str, "image_id"}``. ``image_id`` (any hashable)
      is mapped to a contiguous integer so that every caption of an image is
      a positive of it (image-id-aware contrastive targets).
    * Evaluation (``test_mode=True``): one entry per image, ``{"image",
      "caption": [str, ...]}``; a sample is an image with all its captions.
      ``img_size`` / ``text_size`` count images and captions, ``img2txt``
      lists the caption indices of each image and ``txt2img`` the image of
      each caption.

    Args:
        ann_file (str | Sequence[str]): Annotation file(s).
        **kwargs: See :class:`BaseVLDataset`.
    """

    def load_data_list(self) -> List[dict]:
        self._image_ids = {}
        self.img2txt, self.txt2img = [], []
        data_list = super().load_data_list()
        self.img_size = len(self.img2txt) if self.test_mode else len(
            self._image_ids)
        self.text_size = len(self.txt2img) if self.test_mode else len(
            data_list)
        return data_list

    def parse_entry(self, entry: dict, ann_file: str,
                    idx: int) -> Optional[dict]:
        image = self.require(entry, 'image', str, ann_file, idx)
        info = dict(img_path=self.image_path(image))
        if self.test_mode:
            captions = self.require_text(entry, 'caption', ann_file, idx)
            captions = [captions] if isinstance(captions, str) else captions
            image_idx = len(self.img2txt)
            first = len(self.txt2img)
            text_idx = list(range(first, first + len(captions)))
            self.img2txt.append(text_idx)
            self.txt2img.extend([image_idx] * len(captions))
            info.update(text=captions, image_idx=image_idx,
                        text_idx=text_idx)
        else:
            caption = self.require(entry, 'caption', str, ann_file, idx)
            key = entry.get('image_id', image)
            image_id = self._image_ids.setdefault(key, len(self._image_ids))
            info.update(text=caption, image_id=image_id)
        return info
