"""Pre-training annotations restricted to scenes with few objects.

Used for curricula and diagnostics (e.g. single-object images only, where
every caption is about one object and shape words cannot be bound to the
wrong object). The subset refers to the same image files.
"""
import json
import os.path as osp
from typing import List, Sequence


def subset_by_object_count(entries: Sequence[dict], scenes: Sequence[dict],
                           max_objects: int, min_objects: int = 1,
                           ann_file: str = 'annotations') -> List[dict]:
    """The pre-training entries whose scene has ``min_objects`` to
    ``max_objects`` objects, in their original order.

    Args:
        entries (Sequence[dict]): ``pretrain_*.json`` entries (``image``,
            ``caption``).
        scenes (Sequence[dict]): ``scenes_*.json`` records of the split.
        max_objects, min_objects (int): Inclusive bounds.
        ann_file (str): Name used in error messages.
    """
    if min_objects > max_objects:
        raise ValueError(f'min_objects {min_objects} > max_objects '
                         f'{max_objects}')
    count = {scene['image']: len(scene['objects']) for scene in scenes}
    kept = []
    for i, entry in enumerate(entries):
        image = entry.get('image')
        if image not in count:
            raise KeyError(f'{ann_file}: entry {i}: field "image" '
                           f'{image!r} has no scene record')
        if min_objects <= count[image] <= max_objects:
            kept.append(entry)
    return kept


def write_subset(data_root: str, out: str, max_objects: int,
                 min_objects: int = 1, split: str = 'train') -> List[dict]:
    """Write :func:`subset_by_object_count` of ``pretrain_{split}.json`` to
    ``out`` (relative to ``data_root``) and return it."""
    ann = osp.join(data_root, 'annotations', f'pretrain_{split}.json')
    with open(ann) as f:
        entries = json.load(f)
    with open(osp.join(data_root, 'annotations',
                       f'scenes_{split}.json')) as f:
        scenes = json.load(f)
    kept = subset_by_object_count(entries, scenes, max_objects, min_objects,
                                  ann_file=ann)
    if not kept:
        raise ValueError(f'{ann}: no image has {min_objects}-{max_objects} '
                         'objects')
    with open(osp.join(data_root, out), 'w') as f:
        json.dump(kept, f)
    return kept
