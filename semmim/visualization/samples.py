"""Images (and, on Shapes-VL, their scenes and captions) to draw on."""
import json
import os.path as osp
from typing import List, Optional, Sequence


def shapes_vl_samples(data_root: str,
                      split: str = 'test',
                      indices: Optional[Sequence[int]] = None,
                      num_images: Optional[int] = None) -> List[dict]:
    """Samples of a Shapes-VL split with their ground truth.

    Args:
        data_root (str): Dataset folder (``data/shapes_vl``).
        split (str): 'train', 'val' or 'test'. Defaults to 'test'.
        indices (Sequence[int], optional): Which images of the split.
        num_images (int, optional): Otherwise the first ``num_images``
            (all by default).

    Returns:
        list[dict]: ``image`` (path), ``scene`` (the scene annotation, for
        labels) and ``captions`` (list of str) of each image.
    """
    scenes_file = osp.join(data_root, 'annotations', f'scenes_{split}.json')
    if not osp.isfile(scenes_file):
        raise FileNotFoundError(
            f'{scenes_file} not found; generate Shapes-VL with '
            'tools/dataset_converters/generate_shapes_vl.py')
    with open(scenes_file) as f:
        scenes = json.load(f)
    if indices is None:
        indices = range(len(scenes) if num_images is None
                        else min(num_images, len(scenes)))
    bad = [i for i in indices if not 0 <= i < len(scenes)]
    if bad:
        raise IndexError(f'{split} has {len(scenes)} images; no index {bad}')
    captions = {}
    for name in (f'retrieval_{split}.json', f'caption_{split}.json'):
        path = osp.join(data_root, 'annotations', name)
        if osp.isfile(path):
            with open(path) as f:
                for item in json.load(f):
                    text = item['caption']
                    captions.setdefault(item['image'], []).extend(
                        [text] if isinstance(text, str) else text)
            break
    return [dict(image=osp.join(data_root, scenes[i]['image']),
                 scene=scenes[i],
                 captions=captions.get(scenes[i]['image'], []))
            for i in indices]


def shapes_vl_world(data_root: str) -> str:
    """``'v1'`` or ``'v2'``: the ``world`` of a Shapes-VL ``meta.json``
    (``'v1'`` when it has none, or there is no ``meta.json``)."""
    path = osp.join(data_root, 'meta.json')
    if not osp.isfile(path):
        return 'v1'
    with open(path) as f:
        return json.load(f).get('world', 'v1')


def file_samples(paths: Sequence[str],
                 captions: Optional[Sequence[str]] = None) -> List[dict]:
    """Samples from image files (a directory is read in sorted order); no
    ground truth. ``captions``: one per image, optional."""
    from semmim.apis.base import list_images
    images = []
    for path in paths:
        images.extend(list_images(path))
    if captions is not None and len(captions) != len(images):
        raise ValueError(f'{len(images)} images but {len(captions)} captions')
    return [dict(image=p, scene=None,
                 captions=[captions[i]] if captions is not None else [])
            for i, p in enumerate(images)]
