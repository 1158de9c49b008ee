"""Visual Genome region descriptions as pre-training pairs.

The official files (https://homes.cs.washington.edu/~ranjay/visualgenome/
api.html, version 1.2)::

    image_data.json
        [{"image_id": 1, "url": "https://cs.stanford.edu/people/rak248/
          VG_100K_2/1.jpg", "width": 800, "height": 600, "coco_id": null,
          "flickr_id": null}, ...]             # 1.0 names the id "id"
    region_descriptions.json
        [{"id": 1, "regions": [{"region_id": 1382, "image_id": 1,
                                "phrase": "the clock is green in colour",
                                "x": 421, "y": 57, "width": 82,
                                "height": 139}, ...]}, ...]

Each region's phrase becomes a caption of the whole image (ALBEF's
``vg.json``): ``{"image": "vg/VG_100K_2/1.jpg", "caption": "the clock is
green in colour"}``. The image path is the last two parts of the image's
URL, i.e. where the official ``images.zip``/``images2.zip`` unpack.
"""
import os.path as osp
from typing import Dict, Optional, Set

from .json_io import JsonListWriter, field, iter_json_array, text_field
from .karpathy import karpathy_eval_ids
from .report import ConversionError, ConversionReport, progress, where


def read_vg_images(path: str, report: ConversionReport) -> Dict[int, dict]:
    """``image_data.json`` as ``{image_id: {"image": "VG_100K/1.jpg",
    "area": w * h or None, "coco_id": int or None}}``."""
    images = {}
    for i, img in enumerate(iter_json_array(path)):
        try:
            key = 'image_id' if isinstance(img, dict) and (
                'image_id' in img) else 'id'
            image_id = field(img, key, int, path, i)
            url = text_field(img, 'url', path, i)
            parts = url.rstrip('/').split('/')
            if len(parts) < 2 or not parts[-1]:
                raise ConversionError(
                    f'{where(path, i, "url")} {url!r} does not end in '
                    '<folder>/<file>', "field 'url' without a file name")
        except ConversionError as e:
            report.bad(e)
            continue
        w, h = img.get('width'), img.get('height')
        area = w * h if isinstance(w, int) and isinstance(h, int) else None
        coco_id = img.get('coco_id')
        images[image_id] = dict(image='/'.join(parts[-2:]), area=area,
                                coco_id=coco_id if isinstance(coco_id, int)
                                else None)
    return images


def read_vg_image_paths(path: str,
                        report: ConversionReport) -> Dict[int, str]:
    """``image_data.json`` as ``{image_id: "VG_100K/1.jpg"}``."""
    return {k: v['image'] for k, v in read_vg_images(path, report).items()}


def convert_vg_regions(regions: str,
                       image_data: str,
                       out_root: str = 'data',
                       image_prefix: str = 'vg/',
                       karpathy: Optional[str] = None,
                       min_region_frac: float = 0.0,
                       max_per_image: Optional[int] = None,
                       strict: bool = True,
                       show_progress: bool = True) -> ConversionReport:
    """Write ``annotations/pretrain/vg.json`` from the region descriptions.

    One entry per phrase, the image being ``image_prefix`` + its folder
    and file. Phrases that repeat in an image (case and surrounding space
    ignored) are written once. Everything left out is counted.

    Args:
        regions (str): ``region_descriptions.json``.
        image_data (str): ``image_data.json``.
        out_root (str): Output root (``data/``). Defaults to 'data'.
        image_prefix (str): Folder of the VG images under the pre-training
            data root. Defaults to 'vg/'.
        karpathy (str, optional): ``dataset_coco.json``: VG images that are
            Karpathy val/test COCO images are left out, so the downstream
            COCO scores stay clean. Defaults to None.
        min_region_frac (float): Leave out regions smaller than this
            fraction of the image. Defaults to 0 (keep all).
        max_per_image (int, optional): Keep at most this many phrases per
            image (the first ones). Defaults to None.
        strict (bool): Raise on malformed entries. Defaults to True.
        show_progress (bool): Progress bars. Defaults to True.

    Note:
        ALBEF's ``vg.json`` has 769K captions of 100K images, fewer than
        the 5.4M regions: its selection is not published. The options
        above are the knobs; the summary reports what they give.
    """
    report = ConversionReport(f'Visual Genome regions ({regions})', strict)
    images = read_vg_images(image_data, report)
    held_out: Set[int] = karpathy_eval_ids(karpathy) if karpathy else set()
    out = osp.join(out_root, 'annotations', 'pretrain', 'vg.json')
    with JsonListWriter(out) as writer:
        for i, item in enumerate(progress(iter_json_array(regions),
                                          'VG regions', show_progress,
                                          unit='image')):
            try:
                key = 'id' if isinstance(item, dict) and 'id' in item else (
                    'image_id')
                image_id = field(item, key, int, regions, i)
                regs = field(item, 'regions', list, regions, i)
                if image_id not in images:
                    raise ConversionError(
                        f'{where(regions, i, key)} {image_id} is not in '
                        f'{image_data}', 'image not in image_data.json')
            except ConversionError as e:
                report.bad(e)
                continue
            img = images[image_id]
            if img['coco_id'] is not None and img['coco_id'] in held_out:
                report.skip('regions of Karpathy val/test COCO images (held '
                            'out)', count=len(regs))
                continue
            image = image_prefix + img['image']
            seen = set()
            for j, reg in enumerate(regs):
                entry = f'entry {i}.regions[{j}]'
                try:
                    phrase = ' '.join(
                        text_field(reg, 'phrase', regions, entry).split())
                except ConversionError as e:
                    report.bad(e)
                    continue
                if phrase.lower() in seen:
                    report.skip('phrases repeated in an image')
                    continue
                if min_region_frac > 0:
                    w, h = reg.get('width'), reg.get('height')
                    if not (isinstance(w, int) and isinstance(h, int)
                            and img['area']):
                        report.bad(ConversionError(
                            f'{where(regions, entry)}: needs integer '
                            "'width' and 'height' (and the image's size) "
                            'for --min-region-frac', 'region without size'))
                        continue
                    if w * h < min_region_frac * img['area']:
                        report.skip(f'regions under {min_region_frac:g} of '
                                    'the image')
                        continue
                if max_per_image is not None and len(seen) >= max_per_image:
                    report.skip(f'phrases beyond {max_per_image} per image')
                    continue
                seen.add(phrase.lower())
                writer.write(dict(image=image, caption=phrase))
                report.add(out, image, captions=1)
    return report
