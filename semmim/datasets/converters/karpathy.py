"""COCO and Flickr30k captions: Karpathy's split files
(``dataset_coco.json``, ``dataset_flickr30k.json``) and COCO's own
``captions_{train,val}2014.json``.

Karpathy's files (from his NeuralTalk2 release, also in LAVIS and BLIP)::

    {"dataset": "coco",
     "images": [{"filepath": "val2014",              # COCO only
                 "filename": "COCO_val2014_000000522418.jpg",
                 "imgid": 0, "split": "test",        # train/restval/val/test
                 "cocoid": 522418,                   # COCO only
                 "sentids": [0, 1, ...],
                 "sentences": [{"raw": "A woman wearing a net ...",
                                "tokens": [...], "imgid": 0, "sentid": 0},
                               ...]},
                ...]}

become the ALBEF/BLIP files the retrieval, captioning and pre-training
configs read (see ``docs/preparing_data.md``).
"""
import os
import os.path as osp
import re
import shutil
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

from .json_io import JsonListWriter, dump_json, field, load_json, text_field
from .report import ConversionError, ConversionReport, progress, where

KARPATHY_SPLITS = ('train', 'restval', 'val', 'test')
COCO_FOLDER = re.compile(r'^COCO_([A-Za-z]+\d{4})_\d+\.\w+$')


def karpathy_outputs(dataset: str, out_root: str) -> Dict[str, str]:
    """Where the configs read each converted file (``out_root`` is
    ``data/`` of the configs)."""
    retrieval = osp.join(out_root, 'annotations', 'retrieval')
    if dataset == 'flickr30k':
        return {s: osp.join(retrieval, f'flickr30k_{s}.json')
                for s in ('train', 'val', 'test')}
    caption = osp.join(out_root, 'coco', 'annotations')
    outputs = {s: osp.join(caption, f'coco_karpathy_{s}.json')
               for s in ('train', 'val', 'test')}
    outputs.update({f'{s}_gt': osp.join(caption, f'coco_karpathy_{s}_gt.json')
                    for s in ('val', 'test')})
    outputs.update({f'retrieval_{s}': osp.join(retrieval,
                                               f'coco_karpathy_{s}.json')
                    for s in ('train', 'val', 'test')})
    outputs['pretrain'] = osp.join(out_root, 'annotations', 'pretrain',
                                   'coco.json')
    return outputs


def _karpathy_image(img: dict, i: int, path: str, dataset: str,
                    report: ConversionReport) -> Optional[dict]:
    """One image of a Karpathy file, checked: ``{"split", "image", "id",
    "captions": [str]}``; None when nothing of it is left."""
    entry = f'images[{i}]'
    name = text_field(img, 'filename', path, entry)
    split = field(img, 'split', str, path, entry)
    if split not in KARPATHY_SPLITS:
        raise ConversionError(
            f'{where(path, entry, "split")} is {split!r}, expected one of '
            f'{KARPATHY_SPLITS}', "field 'split' unknown")
    sentences = field(img, 'sentences', list, path, entry)
    if dataset == 'coco':
        rel = f'{text_field(img, "filepath", path, entry)}/{name}'
        image_id = field(img, 'cocoid', int, path, entry)
    else:
        rel = f'flickr30k-images/{name}'
        stem = osp.splitext(name)[0]
        image_id = (int(stem) if stem.isdigit() else field(
            img, 'imgid', int, path, entry))
    captions = []
    for j, sent in enumerate(sentences):
        try:
            captions.append(
                text_field(sent, 'raw', path, f'{entry}.sentences[{j}]'))
        except ConversionError as e:
            report.bad(e)
    if not captions:
        report.skip('images with no caption left',
                    f'{where(path, entry)}: no caption')
        return None
    return dict(split=split, image=rel, id=image_id, captions=captions)


def _read_karpathy(path: str, dataset: str, report: ConversionReport,
                   show_progress: bool) -> List[dict]:
    """The checked images of a Karpathy file."""
    content = load_json(path)
    if not isinstance(content, dict) or not isinstance(
            content.get('images'), list):
        raise ConversionError(f'{path}: expected Karpathy\'s format, an '
                              'object with an "images" list')
    if content.get('dataset', dataset) != dataset:
        raise ConversionError(
            f'{path}: field \'dataset\' is {content["dataset"]!r}, expected '
            f'{dataset!r} (is this the right file?)')
    images = []
    for i, img in enumerate(progress(content['images'], f'read {dataset}',
                                     show_progress)):
        try:
            img = _karpathy_image(img, i, path, dataset, report)
        except ConversionError as e:
            report.bad(e)
            continue
        if img is not None:
            images.append(img)
    return images


def convert_karpathy(path: str,
                     dataset: str = 'coco',
                     out_root: str = 'data',
                     restval: bool = True,
                     pretrain: bool = True,
                     pretrain_prefix: str = 'coco/',
                     strict: bool = True,
                     show_progress: bool = True) -> ConversionReport:
    """Convert ``dataset_coco.json`` or ``dataset_flickr30k.json``.

    Writes, under ``out_root`` (the ``data/`` folder of the configs):

    * retrieval files ``annotations/retrieval/{coco_karpathy,flickr30k}_
      {train,val,test}.json``: training, one entry per caption
      ``{"image", "caption", "image_id": "coco_<cocoid>"}``; val/test, one
      entry per image ``{"image", "caption": [...], "image_id": <int>}``;
    * COCO only: the same files for captioning under
      ``coco/annotations/``, the COCO-format ground truth
      ``coco_karpathy_{val,test}_gt.json``, and (``pretrain``) the
      pre-training pairs ``annotations/pretrain/coco.json``, one entry per
      training caption with the image under ``pretrain_prefix``.

    Args:
        path (str): Karpathy's file.
        dataset (str): ``'coco'`` or ``'flickr30k'``.
        out_root (str): Output root. Defaults to 'data'.
        restval (bool): Train on the "restval" images too (Karpathy's
            113,287 COCO training images, as ALBEF and BLIP). Defaults to
            True.
        pretrain (bool): Write the pre-training pairs (COCO). Defaults to
            True.
        pretrain_prefix (str): Folder of the COCO images relative to the
            pre-training data root. Defaults to 'coco/'.
        strict (bool): Raise on malformed entries instead of skipping
            them. Defaults to True.
        show_progress (bool): Show progress bars. Defaults to True.

    Returns:
        ConversionReport: The counts (``print(report.summary())``).
    """
    if dataset not in ('coco', 'flickr30k'):
        raise ValueError(f'dataset must be coco or flickr30k, got {dataset}')
    report = ConversionReport(f'{dataset} (Karpathy split, {path})', strict)
    images = _read_karpathy(path, dataset, report, show_progress)
    outputs = karpathy_outputs(dataset, out_root)
    by_split = OrderedDict((s, []) for s in ('train', 'val', 'test'))
    for img in images:
        split = img['split']
        if split == 'restval':
            if not restval:
                report.skip('restval images (--no-restval)')
                continue
            split = 'train'
        by_split[split].append(img)

    prefix = 'coco_' if dataset == 'coco' else 'flickr30k_'
    for split, imgs in by_split.items():
        out = outputs[split]
        with JsonListWriter(out) as writer:
            for img in imgs:
                if split == 'train':
                    for cap in img['captions']:
                        writer.write(dict(image=img['image'], caption=cap,
                                          image_id=f'{prefix}{img["id"]}'))
                        report.add(out, img['image'], captions=1)
                else:
                    writer.write(dict(image=img['image'],
                                      caption=img['captions'],
                                      image_id=img['id']))
                    report.add(out, img['image'],
                               captions=len(img['captions']))
        if dataset == 'coco':
            os.makedirs(osp.dirname(outputs[f'retrieval_{split}']),
                        exist_ok=True)
            shutil.copyfile(out, outputs[f'retrieval_{split}'])
            report.note(f'copied {out} to {outputs[f"retrieval_{split}"]}')
        if dataset == 'coco' and split != 'train':
            gt = outputs[f'{split}_gt']
            write_caption_gt(imgs, gt)
            report.add(gt)
    if dataset == 'coco' and pretrain:
        out = outputs['pretrain']
        with JsonListWriter(out) as writer:
            for img in by_split['train']:
                for cap in img['captions']:
                    image = pretrain_prefix + img['image']
                    writer.write(dict(image=image, caption=cap))
                    report.add(out, image, captions=1)
    return report


def write_caption_gt(images: Sequence[dict], path: str) -> None:
    """COCO-format ground truth of one split for pycocoevalcap and
    ``COCOCaptionMetric``: ``{"images": [{"id", "file_name"}],
    "annotations": [{"image_id", "id", "caption"}]}``."""
    anns = []
    for img in images:
        for cap in img['captions']:
            anns.append(dict(image_id=img['id'], id=len(anns), caption=cap))
    dump_json(dict(info=dict(description='Karpathy split ground truth'),
                   licenses=[], type='captions',
                   images=[dict(id=img['id'], file_name=img['image'])
                           for img in images],
                   annotations=anns), path)


def karpathy_eval_ids(path: str) -> set:
    """COCO ids of the Karpathy val and test images (held out of
    pre-training so the downstream scores stay clean)."""
    content = load_json(path)
    if not isinstance(content, dict) or not isinstance(
            content.get('images'), list):
        raise ConversionError(f'{path}: expected Karpathy\'s format, an '
                              'object with an "images" list')
    ids = set()
    for i, img in enumerate(content['images']):
        split = field(img, 'split', str, path, f'images[{i}]')
        if split in ('val', 'test'):
            ids.add(field(img, 'cocoid', int, path, f'images[{i}]'))
    return ids


def _coco_folder(path: str, file_name: str,
                 image_folder: Optional[str]) -> Optional[str]:
    if image_folder is not None:
        return image_folder
    match = COCO_FOLDER.match(file_name)
    if match:
        return match.group(1)
    match = re.match(r'^captions_(\w+)\.json$', osp.basename(path))
    return match.group(1) if match else None


def convert_coco_captions(paths: Sequence[str],
                          out_root: str = 'data',
                          karpathy: Optional[str] = None,
                          image_folder: Optional[str] = None,
                          pretrain_prefix: str = 'coco/',
                          strict: bool = True,
                          show_progress: bool = True) -> ConversionReport:
    """Pre-training pairs from COCO's own caption files.

    ``captions_{train,val}2014.json`` (COCO format: ``images`` with ``id``
    and ``file_name``, ``annotations`` with ``image_id`` and ``caption``)
    become ``annotations/pretrain/coco.json``, one entry per caption
    ``{"image": "coco/train2014/COCO_train2014_....jpg", "caption"}``.
    The image folder is read from the file name (``COCO_val2014_...`` ->
    ``val2014``), else from the annotation file's name
    (``captions_train2017.json`` -> ``train2017``), else ``image_folder``.

    With ``karpathy`` (``dataset_coco.json``), the Karpathy val and test
    images are left out (counted): ALBEF pre-trains on the 113K Karpathy
    training images only, and the downstream COCO scores are measured on
    the others.

    Returns:
        ConversionReport: The counts.
    """
    report = ConversionReport(f'COCO captions ({", ".join(paths)})', strict)
    held_out = karpathy_eval_ids(karpathy) if karpathy else set()
    out = osp.join(out_root, 'annotations', 'pretrain', 'coco.json')
    with JsonListWriter(out) as writer:
        for path in paths:
            content = load_json(path)
            if not isinstance(content, dict) or not all(
                    isinstance(content.get(k), list)
                    for k in ('images', 'annotations')):
                raise ConversionError(
                    f'{path}: expected a COCO caption file, an object with '
                    '"images" and "annotations" lists')
            files = {}
            for i, img in enumerate(content['images']):
                entry = f'images[{i}]'
                try:
                    image_id = field(img, 'id', int, path, entry)
                    name = text_field(img, 'file_name', path, entry)
                except ConversionError as e:
                    report.bad(e)
                    continue
                folder = _coco_folder(path, name, image_folder)
                if folder is None:
                    raise ConversionError(
                        f'{where(path, entry, "file_name")}: cannot tell the '
                        f'image folder of {name!r}; pass --image-folder')
                files[image_id] = f'{pretrain_prefix}{folder}/{name}'
            used = set()
            for i, ann in enumerate(progress(content['annotations'],
                                             f'read {osp.basename(path)}',
                                             show_progress)):
                entry = f'annotations[{i}]'
                try:
                    image_id = field(ann, 'image_id', int, path, entry)
                    caption = text_field(ann, 'caption', path, entry)
                    if image_id not in files:
                        raise ConversionError(
                            f'{where(path, entry, "image_id")} {image_id} '
                            'is not in "images"', 'image_id not in "images"')
                except ConversionError as e:
                    report.bad(e)
                    continue
                if image_id in held_out:
                    report.skip('captions of Karpathy val/test images (held '
                                'out of pre-training)')
                    continue
                used.add(image_id)
                writer.write(dict(image=files[image_id], caption=caption))
                report.add(out, files[image_id], captions=1)
            unused = len(set(files) - used - held_out)
            if unused:
                report.note(f'{path}: {unused} images have no caption')
    if not karpathy and any('val' in osp.basename(p) for p in paths):
        report.note('the val2014 images include the Karpathy val/test '
                    'images that retrieval and captioning are scored on; '
                    'pass --karpathy dataset_coco.json to hold them out')
    return report
