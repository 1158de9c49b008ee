"""Write a Shapes-VL dataset to disk in COCO / ALBEF / Karpathy / VQA formats.

Layout (all paths inside the JSON files are relative to ``out_dir``)::

    images/{train,val,test}/{index:06d}.png
    annotations/pretrain_train.json            ALBEF pre-training
    annotations/retrieval_{train,val,test}.json
    annotations/caption_train.json             Karpathy style, one per caption
    annotations/caption_{val,test}.json        Karpathy style, int image ids
    annotations/caption_{val,test}_gt.json     COCO caption ground truth
    annotations/vqa_{train,val,test}.json      ALBEF VQA
    annotations/v2_OpenEnded_shapes_{split}_questions.json   VQA v2
    annotations/v2_shapes_{split}_annotations.json           VQA v2
    annotations/answer_list.json
    annotations/scenes_{split}.json            geometry ground truth
    meta.json                                  settings + vocabularies

Ids: image ``index`` of a split has image id ``IMAGE_ID_OFFSET[split] +
index`` (1_000_000 / 2_000_000 / 3_000_000, so no id is 0 and ids are
unique across splits); question ``k`` of an image has id ``image_id * 10 +
k`` and caption ``k`` of an image has COCO annotation id ``image_id * 10 +
k``.

Every image is generated from its own generator seeded by ``(seed,
split_id, index)``, which makes the output byte-identical whatever the
number of worker processes.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import os.path as osp
import shutil
import time
from typing import Dict, Iterable, List

import numpy as np
from tqdm import tqdm

from . import scene as scene_lib
from . import world_v2
from .language import generate_captions, generate_questions, vocabulary
from .semantics import split_semantics

GENERATOR_VERSION = '1.0.0'
# The worlds the generator can make: v1 (the default) and v2, opt-in (see
# world_v2.py), each with its default output folder and image size.
WORLDS = ('v1', 'v2')
DEFAULT_OUT_DIR = {'v1': 'data/shapes_vl', 'v2': 'data/shapes_vl_v2'}
DEFAULT_IMAGE_SIZE = {'v1': 128, 'v2': 64}
SPLITS = ('train', 'val', 'test')
SPLIT_IDS = {'train': 0, 'val': 1, 'test': 2}
IMAGE_ID_OFFSET = {'train': 1_000_000, 'val': 2_000_000, 'test': 3_000_000}
CAPTIONS_PER_IMAGE = 5
QUESTIONS_PER_IMAGE = 5  # must stay < 10: question_id = image_id * 10 + k
PREVIEW_NAME = 'preview.png'
# Separate random streams per image, so that changing the wording code does
# not change the images (and vice versa).
_STREAM_SCENE, _STREAM_TEXT = 0, 1


def image_id(split: str, index: int) -> int:
    """Integer image id, unique across splits."""
    return IMAGE_ID_OFFSET[split] + index


def image_path(split: str, index: int) -> str:
    """Image path relative to the dataset root (always ``/``-separated)."""
    return f'images/{split}/{index:06d}.png'


def annotation_files() -> List[str]:
    """Relative paths of every annotation file the generator writes."""
    files = [
        'annotations/pretrain_train.json', 'annotations/answer_list.json',
        'annotations/caption_train.json'
    ]
    for split in SPLITS:
        files += [
            f'annotations/retrieval_{split}.json',
            f'annotations/vqa_{split}.json',
            f'annotations/v2_OpenEnded_shapes_{split}_questions.json',
            f'annotations/v2_shapes_{split}_annotations.json',
            f'annotations/scenes_{split}.json',
        ]
    for split in ('val', 'test'):
        files += [
            f'annotations/caption_{split}.json',
            f'annotations/caption_{split}_gt.json'
        ]
    return sorted(files)


def _make_item(task: tuple) -> dict:
    """Worker: sample, render and save one image; return its annotations."""
    out_dir, split, index, image_size, seed, world = task
    sid = SPLIT_IDS[split]
    rng = np.random.default_rng([seed, sid, index, _STREAM_SCENE])
    lib = world_v2 if world == 'v2' else None
    scene = (lib or scene_lib).sample_scene(rng, image_size)
    img = scene_lib.render_scene(scene)
    # zlib level 3 is ~3x faster than the default 6 for ~1% larger files.
    img.save(
        osp.join(out_dir, image_path(split, index)),
        format='PNG',
        compress_level=3)
    text_rng = np.random.default_rng([seed, sid, index, _STREAM_TEXT])
    captions = (lib.generate_captions if lib else generate_captions)(
        scene, text_rng, CAPTIONS_PER_IMAGE)
    questions = (lib.generate_questions if lib else generate_questions)(
        scene, text_rng, QUESTIONS_PER_IMAGE)
    return dict(scene=scene, captions=captions, questions=questions)


def _dump(obj, path: str) -> None:
    # Compact, key-order-preserving JSON: identical input gives identical
    # bytes. Write-then-rename so an interrupted run never leaves a
    # half-written file that looks valid.
    # json.dumps (one C-encoded string) is several times faster than
    # json.dump, which streams through the pure-Python encoder.
    text = json.dumps(obj, separators=(',', ':'))
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


def dataset_settings(num_images: Dict[str, int],
                     image_size: int,
                     seed: int,
                     world: str = 'v1') -> dict:
    """The settings that identify a generated dataset (stored in meta.json).

    Args:
        num_images (dict[str, int]): Images per split.
        image_size (int): Image side in pixels.
        seed (int): Global seed.
        world (str): ``'v1'`` or ``'v2'``.

    Returns:
        dict: ``name``, ``generator_version``, ``seed``, ``image_size`` and
        ``num_images`` (and ``world`` for v2; v1's settings are those of
        the generator before v2 existed); a dataset on disk is reused only
        if all match.
    """
    if world not in WORLDS:
        raise ValueError(f'world must be one of {WORLDS}, got {world!r}')
    settings = dict(
        name='shapes_vl',
        generator_version=(GENERATOR_VERSION
                           if world == 'v1' else world_v2.VERSION),
        seed=seed,
        image_size=image_size,
        num_images=dict(num_images))
    if world == 'v2':
        settings['world'] = 'v2'
    return settings


def _lists(table: dict) -> dict:
    return {k: list(v) for k, v in table.items()}


def _meta(settings: dict,
          complete: bool,
          num_questions: Dict[str, int] | None = None,
          semantics: Dict[str, dict] | None = None) -> dict:
    meta = dict(settings)
    meta.update(
        complete=complete,
        image_id_offset=dict(IMAGE_ID_OFFSET),
        ids='image_id = offset[split] + index; question_id = image_id * 10 '
        '+ k; COCO caption annotation id = image_id * 10 + k',
        captions_per_image=CAPTIONS_PER_IMAGE,
        questions_per_image=QUESTIONS_PER_IMAGE,
        num_questions=dict(num_questions or {}))
    if settings.get('world') == 'v2':
        meta.update(vocab=world_v2.meta_vocab(),
                    spatial=world_v2.spatial_meta(),
                    semantics=dict(semantics or {}),
                    files=annotation_files())
        return meta
    meta.update(
        vocab=dict(
            shapes=list(scene_lib.SHAPES),
            colors=_lists(scene_lib.COLORS),
            sizes=_lists(scene_lib.SIZES),
            positions=list(scene_lib.POSITIONS),
            relations=list(scene_lib.RELATIONS),
            backgrounds=_lists(scene_lib.BACKGROUNDS),
            background_patterns=list(scene_lib.BACKGROUND_PATTERNS),
            words=vocabulary()),
        spatial=dict(
            coordinates='pixels; pixel (x, y) covers [x, x+1) x [y, y+1)',
            grid='3x3 thirds of the image side, from the object centre',
            bbox='[x0, y0, x1, y1] integer pixels, x1/y1 exclusive',
            grid_margin=scene_lib.GRID_MARGIN,
            relation_margin=scene_lib.RELATION_MARGIN,
            relation_dominance=scene_lib.RELATION_DOMINANCE,
            object_gap=scene_lib.OBJECT_GAP,
            border_gap=scene_lib.BORDER_GAP),
        files=annotation_files(),
    )
    return meta


def _read_meta(out_dir: str) -> dict | None:
    path = osp.join(out_dir, 'meta.json')
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    return meta if meta.get('name') == 'shapes_vl' else None


def is_complete(out_dir: str, settings: dict) -> bool:
    """Whether ``out_dir`` holds a finished dataset made with ``settings``.

    Args:
        out_dir (str): Dataset root.
        settings (dict): Output of the generator's settings (name, version,
            seed, image size and split sizes).

    Returns:
        bool: True when meta.json matches, is marked complete and every
        annotation file and image exists.
    """
    meta = _read_meta(out_dir)
    if meta is None or not meta.get('complete'):
        return False
    if any(meta.get(k) != v for k, v in settings.items()):
        return False
    if not all(osp.isfile(osp.join(out_dir, f)) for f in annotation_files()):
        return False
    for split, n in settings['num_images'].items():
        folder = osp.join(out_dir, 'images', split)
        present = set(os.listdir(folder)) if osp.isdir(folder) else set()
        if any(f'{i:06d}.png' not in present for i in range(n)):
            return False
    return True


def _split_files(split: str,
                 items: List[dict],
                 version: str = GENERATOR_VERSION) -> Dict[str, object]:
    """All per-split annotation objects, keyed by relative file name."""
    out: Dict[str, object] = {}
    paths = [image_path(split, i) for i in range(len(items))]
    ids = [image_id(split, i) for i in range(len(items))]
    size = items[0]['scene']['width'] if items else 0

    if split == 'train':
        out['annotations/pretrain_train.json'] = [
            dict(image=p, caption=it['captions'])
            for p, it in zip(paths, items)
        ]
        per_caption = [
            dict(image=p, caption=c, image_id=f'shapes_train_{i:06d}')
            for i, (p, it) in enumerate(zip(paths, items))
            for c in it['captions']
        ]
        out['annotations/retrieval_train.json'] = per_caption
        out['annotations/caption_train.json'] = per_caption
    else:
        out[f'annotations/retrieval_{split}.json'] = [
            dict(image=p, caption=it['captions'])
            for p, it in zip(paths, items)
        ]
        out[f'annotations/caption_{split}.json'] = [
            dict(image=p, caption=it['captions'], image_id=iid)
            for p, iid, it in zip(paths, ids, items)
        ]
        out[f'annotations/caption_{split}_gt.json'] = dict(
            info=dict(
                description=f'Shapes-VL synthetic captions ({split})',
                version=version,
                contributor='semmim'),
            licenses=[],
            type='captions',
            images=[
                dict(id=iid, file_name=p, width=size, height=size)
                for p, iid in zip(paths, ids)
            ],
            annotations=[
                dict(image_id=iid, id=iid * 10 + k, caption=c)
                for iid, it in zip(ids, items)
                for k, c in enumerate(it['captions'])
            ])

    vqa, questions, annotations = [], [], []
    for p, iid, it in zip(paths, ids, items):
        for k, q in enumerate(it['questions']):
            qid = iid * 10 + k
            vqa.append(
                dict(
                    question_id=qid,
                    question=q['question'],
                    answer=q['answers'],
                    image=p,
                    image_id=iid,
                    answer_type=q['answer_type'],
                    question_type=q['question_type']))
            questions.append(
                dict(image_id=iid, question=q['question'], question_id=qid))
            annotations.append(
                dict(
                    question_type=q['question_type'],
                    multiple_choice_answer=q['answer'],
                    answers=[
                        dict(answer=a, answer_confidence='yes', answer_id=j)
                        for j, a in enumerate(q['answers'], start=1)
                    ],
                    image_id=iid,
                    answer_type=q['answer_type'],
                    question_id=qid))
    info = dict(
        description=f'Shapes-VL synthetic VQA ({split})',
        version=version,
        contributor='semmim')
    license_ = dict(name='synthetic, no restrictions', url='')
    out[f'annotations/vqa_{split}.json'] = vqa
    out[f'annotations/v2_OpenEnded_shapes_{split}_questions.json'] = dict(
        info=info,
        task_type='Open-Ended',
        data_type='shapes',
        license=license_,
        data_subtype=split,
        questions=questions)
    out[f'annotations/v2_shapes_{split}_annotations.json'] = dict(
        info=info,
        license=license_,
        data_type='shapes',
        data_subtype=split,
        annotations=annotations)
    out[f'annotations/scenes_{split}.json'] = [
        dict(image=p, image_id=iid, **it['scene'])
        for p, iid, it in zip(paths, ids, items)
    ]
    return out


def _run(tasks: List[tuple], num_workers: int,
         progress: bool) -> Iterable[dict]:
    """Yield ``_make_item`` results in task order."""
    pool = None
    if num_workers > 1:
        # Fork where available: spawned workers would re-import the parent
        # package (and whatever heavy modules it pulls in) before doing any
        # work; workers only use numpy and PIL. The pool is made before the
        # progress bar so no tqdm monitor thread exists at fork time.
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context('fork' if 'fork' in
                                          methods else 'spawn')
        pool = ctx.Pool(num_workers)
    bar = tqdm(
        total=len(tasks), desc='Shapes-VL', unit='img', disable=not progress)
    try:
        if pool is None:
            results = map(_make_item, tasks)
        else:
            # imap keeps task order, so the output does not depend on which
            # worker finishes first.
            chunk = max(1, min(32, len(tasks) // (num_workers * 8)))
            results = pool.imap(_make_item, tasks, chunksize=chunk)
        for item in results:
            yield item
            bar.update()
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
            pool.join()


def _default_workers(total: int) -> int:
    # Worker start-up (~0.5 s each) is not worth it for tiny sets.
    if total < 400:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def generate_shapes_vl(out_dir: str,
                       num_train: int = 4000,
                       num_val: int = 500,
                       num_test: int = 500,
                       image_size: int | None = None,
                       seed: int = 0,
                       num_workers: int | None = None,
                       overwrite: bool = False,
                       progress: bool = True,
                       world: str = 'v1') -> dict:
    """Generate the Shapes-VL dataset under ``out_dir``.

    Idempotent: when ``out_dir`` already holds a complete dataset with the
    same settings nothing is regenerated (``summary['skipped']`` is True).

    Args:
        out_dir (str): Dataset root directory.
        num_train (int): Number of training images.
        num_val (int): Number of validation images.
        num_test (int): Number of test images.
        image_size (int, optional): Image side in pixels (64-256 are
            sensible); default 128 for v1, 64 for v2.
        seed (int): Global seed; same seed gives byte-identical files.
        num_workers (int, optional): Worker processes; ``None`` picks one
            per CPU core (up to 8) for large sets and 1 for tiny ones. The
            output does not depend on it.
        overwrite (bool): Regenerate even if a complete dataset exists, and
            replace a Shapes-VL dataset that has different settings.
        progress (bool): Show a tqdm progress bar.
        world (str): ``'v1'`` (default) or ``'v2'`` (see world_v2.py; its
            meta.json also holds the semantic figures of each split, see
            semantics.py).

    Returns:
        dict: Summary with ``out_dir``, ``skipped``, ``num_images``,
        ``num_captions``, ``num_questions``, ``num_answers``, ``seconds``,
        ``megabytes`` and (v2) ``semantics``.

    Raises:
        FileExistsError: ``out_dir`` holds other data (a Shapes-VL dataset
            with different settings, or unrelated ``images``/``annotations``
            folders) and ``overwrite`` is False.
    """
    if world not in WORLDS:
        raise ValueError(f'world must be one of {WORLDS}, got {world!r}')
    if image_size is None:
        image_size = DEFAULT_IMAGE_SIZE[world]
    if image_size < 32:
        raise ValueError(f'image_size must be >= 32, got {image_size}')
    num_images = dict(train=num_train, val=num_val, test=num_test)
    if min(num_images.values()) < 1:
        raise ValueError(f'every split needs >= 1 image, got {num_images}')
    settings = dataset_settings(num_images, image_size, seed, world)
    start = time.time()
    if not overwrite and is_complete(out_dir, settings):
        return _summary(out_dir, settings, True, time.time() - start)

    meta = _read_meta(out_dir)
    if meta is not None:
        # Our own (possibly interrupted) output: a finished one with other
        # settings is only replaced on request; leftovers are cleared so no
        # stale image survives a smaller regeneration.
        same = all(meta.get(k) == v for k, v in settings.items())
        if meta.get('complete') and not same and not overwrite:
            raise FileExistsError(
                f'{out_dir} holds a Shapes-VL dataset with other settings '
                f'(seed={meta.get("seed")}, image_size='
                f'{meta.get("image_size")}, num_images='
                f'{meta.get("num_images")}); pass overwrite=True to replace')
        for name in ('images', 'annotations'):
            shutil.rmtree(osp.join(out_dir, name), ignore_errors=True)
        if osp.isfile(osp.join(out_dir, PREVIEW_NAME)):
            os.remove(osp.join(out_dir, PREVIEW_NAME))
    elif not overwrite and any(
            osp.exists(osp.join(out_dir, n))
            for n in ('images', 'annotations')):
        # Never write into (or delete) a folder we did not create.
        raise FileExistsError(
            f'{out_dir} has images/ or annotations/ but no Shapes-VL '
            'meta.json; pick another out_dir or pass overwrite=True')

    for split in SPLITS:
        os.makedirs(osp.join(out_dir, 'images', split), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    # Mark the folder as ours (but unfinished) before writing anything.
    _dump(_meta(settings, complete=False), osp.join(out_dir, 'meta.json'))

    tasks = [(out_dir, split, i, image_size, seed, world)
             for split in SPLITS for i in range(num_images[split])]
    workers = (
        _default_workers(len(tasks))
        if num_workers is None else int(num_workers))
    results = list(_run(tasks, workers, progress))

    files: Dict[str, object] = {}
    semantics: Dict[str, dict] = {}
    offset = 0
    for split in SPLITS:
        items = results[offset:offset + num_images[split]]
        offset += num_images[split]
        files.update(
            _split_files(split, items, settings['generator_version']))
        if world == 'v2':
            semantics[split] = split_semantics(
                [it['scene'] for it in items],
                [it['captions'] for it in items])
    train_answers = {
        a
        for q in files['annotations/vqa_train.json']
        for a in q['answer']
    }
    files['annotations/answer_list.json'] = sorted(train_answers)
    for rel in sorted(files):
        _dump(files[rel], osp.join(out_dir, rel))

    num_questions = {
        s: len(files[f'annotations/vqa_{s}.json'])
        for s in SPLITS
    }
    _dump(
        _meta(settings, True, num_questions, semantics),
        osp.join(out_dir, 'meta.json'))
    return _summary(out_dir, settings, False, time.time() - start)


def _summary(out_dir: str, settings: dict, skipped: bool,
             seconds: float) -> dict:
    meta = _read_meta(out_dir) or {}
    total = 0
    for root, _, names in os.walk(out_dir):
        total += sum(osp.getsize(osp.join(root, n)) for n in names)
    with open(osp.join(out_dir, 'annotations/answer_list.json')) as f:
        num_answers = len(json.load(f))
    return dict(
        out_dir=out_dir,
        skipped=skipped,
        num_images=dict(settings['num_images']),
        num_captions={
            s: n * CAPTIONS_PER_IMAGE
            for s, n in settings['num_images'].items()
        },
        num_questions=meta.get('num_questions', {}),
        num_answers=num_answers,
        image_size=settings['image_size'],
        seed=settings['seed'],
        seconds=round(seconds, 2),
        megabytes=round(total / 2**20, 2),
        **({
            'semantics': meta['semantics']
        } if 'semantics' in meta else {}))
