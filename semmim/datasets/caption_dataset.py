"""Image captioning data: Karpathy JSON lists and COCO-format files."""
import os.path as osp
import re
from collections import OrderedDict
from typing import Any, List, Optional

from semmim.registry import DATASETS
from .base_vl_dataset import BaseVLDataset


@DATASETS.register_module()
class CaptionDataset(BaseVLDataset):
    """Caption annotations in two formats, detected per file.

    * Karpathy list (BLIP/ALBEF files, Shapes-VL): training entries
      ``{"image", "caption": str, "image_id"}``, one per caption;
      evaluation entries ``{"image", "caption": [str, ...], "image_id"}``,
      one per image. Without ``image_id`` (BLIP's COCO test files), the id
      is the last number in the image file name
      (``COCO_val2014_000000391895.jpg`` -> 391895), as in the COCO ground
      truth.
    * COCO format (``{"images": [...], "annotations": [...]}``: COCO
      caption files, NoCaps): ``images[i]`` gives ``id``, ``file_name`` and,
      for NoCaps, ``domain``; ``annotations`` (optional, absent from NoCaps
      test) give the captions.

    Samples:

    * training (``test_mode=False``): one per caption, with ``text`` (the
      caption) and ``image_id``; with ``group_by_image=True`` one per image
      with ``gt_caption`` (all its captions) instead of ``text``
      (self-critical training scores generated captions against all
      references of the image);
    * evaluation (``test_mode=True``): one per image with ``image_id``
      (an int, matching the ground-truth file), ``gt_caption`` when
      captions are given and ``domain`` when the file has one.

    Args:
        ann_file (str | Sequence[str]): Annotation file(s).
        group_by_image (bool): One training sample per image. Defaults to
            False.
        **kwargs: See :class:`BaseVLDataset`.
    """

    def __init__(self, *args, group_by_image: bool = False, **kwargs):
        self.group_by_image = group_by_image
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------
    def entries_of(self, content: Any, ann_file: str) -> list:
        if isinstance(content, dict):
            return self._coco_entries(content, ann_file)
        return super().entries_of(content, ann_file)

    def _coco_entries(self, content: dict, ann_file: str) -> list:
        """COCO-format content as Karpathy-style entries (one per image;
        one per caption for training unless grouped)."""
        if not isinstance(content.get('images'), list):
            raise ValueError(f'{ann_file}: a COCO-format caption file needs '
                             'an "images" list')
        images = OrderedDict()
        for i, img in enumerate(content['images']):
            for field in ('id', 'file_name'):
                if field not in img:
                    raise ValueError(f'{ann_file}: images[{i}]: missing '
                                     f'field {field!r}')
            entry = dict(image=img['file_name'], image_id=img['id'],
                         caption=[])
            if 'domain' in img:
                entry['domain'] = img['domain']
            images[img['id']] = entry
        for i, ann in enumerate(content.get('annotations', [])):
            if ann.get('image_id') not in images or 'caption' not in ann:
                raise ValueError(f'{ann_file}: annotations[{i}]: needs a '
                                 '"caption" and an "image_id" listed in '
                                 '"images"')
            images[ann['image_id']]['caption'].append(ann['caption'])
        entries = list(images.values())
        if self.test_mode:
            for e in entries:
                if not e['caption']:
                    del e['caption']  # e.g. NoCaps test: no captions
            return entries
        if self.group_by_image:
            return [e for e in entries if e['caption']]
        return [dict(e, caption=c) for e in entries for c in e['caption']]

    # ------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if self.test_mode:
            ids = [d['image_id'] for d in data_list]
            if len(set(ids)) != len(ids):
                raise ValueError(f'{self.ann_files}: image ids repeat in '
                                 'evaluation annotations (one entry per '
                                 'image expected)')
            return data_list
        if not self.group_by_image:
            for d in data_list:
                d.pop('captions')
            return data_list
        # one sample per image with all its references
        merged = OrderedDict()
        for d in data_list:
            key = d['image_id']
            if key not in merged:
                merged[key] = dict(d, gt_caption=[])
                merged[key].pop('text')
                merged[key].pop('captions')
            merged[key]['gt_caption'].extend(d['captions'])
        return list(merged.values())

    def parse_entry(self, entry: dict, ann_file: str,
                    idx: int) -> Optional[dict]:
        image = self.require(entry, 'image', str, ann_file, idx)
        info = dict(img_path=self.image_path(image))
        if 'domain' in entry:
            info['domain'] = entry['domain']
        if self.test_mode:
            info['image_id'] = self._int_image_id(entry, image, ann_file, idx)
            if 'caption' in entry:
                caps = self.require_text(entry, 'caption', ann_file, idx)
                info['gt_caption'] = [caps] if isinstance(caps, str) else caps
            return info
        caps = self.require_text(entry, 'caption', ann_file, idx)
        caps = [caps] if isinstance(caps, str) else caps
        # 'captions' are gathered per image in load_data_list
        info.update(text=caps[0], captions=caps,
                    image_id=entry.get('image_id', image))
        if len(caps) > 1 and not self.group_by_image:
            raise ValueError(f'{ann_file}: entry {idx}: training entries hold '
                             'one caption each (or set group_by_image=True)')
        return info

    @staticmethod
    def _int_image_id(entry: dict, image: str, ann_file: str,
                      idx: int) -> int:
        value = entry.get('image_id')
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        numbers = re.findall(r'\d+', osp.splitext(osp.basename(image))[0])
        if value is None and numbers:
            return int(numbers[-1])
        raise ValueError(
            f'{ann_file}: entry {idx}: evaluation needs an integer '
            f'"image_id" (matching the ground-truth file), got {value!r}'
            + ('' if value is not None else ' and no number in the image '
               'file name'))
