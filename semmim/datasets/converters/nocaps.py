"""NoCaps: the official ``nocaps_val_4500_captions.json`` (and
``nocaps_test_image_info.json``) checked and put where the config reads it.

The file (https://nocaps.org/download) is COCO format, read as is by
``CaptionDataset`` and ``COCOCaptionMetric``::

    {"images": [{"id": 0, "file_name": "0013ea2087020901.jpg",
                 "open_images_id": "0013ea2087020901", "domain":
                 "in-domain", "height": 1024, "width": 732, ...}, ...],
     "annotations": [{"image_id": 0, "id": 0, "caption": "..."}, ...]}
"""
import os.path as osp
from collections import Counter
from typing import Optional

from .json_io import dump_json, field, load_json, text_field
from .report import ConversionError, ConversionReport, progress, where

DOMAINS = ('in-domain', 'near-domain', 'out-domain')


def convert_nocaps(path: str,
                   out_root: str = 'data',
                   image_dir: Optional[str] = None,
                   strict: bool = True,
                   show_progress: bool = True) -> ConversionReport:
    """Check a NoCaps file and write it to ``nocaps/annotations/``.

    Every image needs an integer ``id``, a ``file_name`` and, in a file
    with captions, a ``domain`` (one of :data:`DOMAINS`); every annotation
    an ``image_id`` listed in
    ``images`` and a non-empty ``caption``. Left-out entries are counted;
    with ``image_dir`` (``data/nocaps/images/val``), images whose file is
    missing are counted too (they stay in the file: an evaluation set is
    not thinned silently, and ``CaptionDataset`` names a missing image when
    it is read).

    Returns:
        ConversionReport: Counts, with captions per domain in the notes.
    """
    report = ConversionReport(f'NoCaps ({path})', strict)
    content = load_json(path)
    if not isinstance(content, dict) or not isinstance(
            content.get('images'), list):
        raise ConversionError(f'{path}: expected a COCO-format NoCaps file, '
                              'an object with an "images" list')
    with_captions = 'annotations' in content
    images, domains = [], {}
    for i, img in enumerate(content['images']):
        entry = f'images[{i}]'
        try:
            image_id = field(img, 'id', int, path, entry)
            text_field(img, 'file_name', path, entry)
            # the test file's images may come without one
            domain = (field(img, 'domain', str, path, entry)
                      if with_captions or 'domain' in img else None)
            if domain is not None and domain not in DOMAINS:
                raise ConversionError(
                    f'{where(path, entry, "domain")} is {domain!r}, expected '
                    f'one of {DOMAINS}', "field 'domain' unknown")
            if image_id in domains:
                raise ConversionError(
                    f'{where(path, entry, "id")} {image_id} repeats',
                    'repeated image id')
        except ConversionError as e:
            report.bad(e)
            continue
        domains[image_id] = domain
        images.append(img)
    anns = []
    for i, ann in enumerate(progress(content.get('annotations', []),
                                     'NoCaps', show_progress)):
        entry = f'annotations[{i}]'
        try:
            image_id = field(ann, 'image_id', int, path, entry)
            text_field(ann, 'caption', path, entry)
            if image_id not in domains:
                raise ConversionError(
                    f'{where(path, entry, "image_id")} {image_id} is not in '
                    '"images"', 'image_id not in "images"')
        except ConversionError as e:
            report.bad(e)
            continue
        anns.append(ann)
    out = osp.join(out_root, 'nocaps', 'annotations', osp.basename(path))
    kept = dict(content, images=images)
    if 'annotations' in content:
        kept['annotations'] = anns
    dump_json(kept, out)
    for img in images:
        report.add(out, img['file_name'])
    if images:
        report.outputs[out]['captions'] = len(anns)
    per_domain = Counter(domains.values())
    caps = Counter(domains[a['image_id']] for a in anns)
    report.note('per domain: ' + ', '.join(
        f'{d or "no domain"} {per_domain[d]:,} images / {caps[d]:,} '
        'captions'
        for d in DOMAINS + ((None, ) if None in per_domain else ())))
    if image_dir is not None:
        missing = [img['file_name'] for img in images
                   if not osp.isfile(osp.join(image_dir, img['file_name']))]
        if missing:
            report.note(f'{len(missing):,} of {len(images):,} images are '
                        f'not in {image_dir} (e.g. {missing[0]})')
    return report
