"""How much a Shapes-VL v2 split demands of a model, from its own scenes.

For each split the generator reports (``meta.json``, ``semantics``):

* ``caption_ambiguity``: the share of (caption, other image) pairs in
  which the caption is also true of the other image (%);
* ``unique_captions``: the share of captions true of their image only (%);
* oracle retrieval R@1 (%, text and image retrieval and their mean) of
  retrievers that know the scenes and parse the captions
  (:func:`.world_v2.parse_caption`) but only see some attributes:
  ``oracle`` knows everything (colour, shape and quadrant of each object);
  ``colour_oracle`` only the colours (of the objects and of the
  background, which captions never mention); ``no_shape_oracle`` colours
  and quadrants; ``no_layout_oracle`` colours and shapes. A retriever
  scores a pair 1 when what it knows of the caption matches what it knows
  of the image, 0 otherwise; ties are broken at random, so R@1 is the
  expected share of hits (:func:`recall_at_1`); R@5, R@10 and their mean
  with R@1 (``mean_recall``, the retrieval metric's ``r_mean``) likewise.
"""
from __future__ import annotations

from collections import Counter
from math import comb
from typing import Callable, Dict, Hashable, List, Sequence

import numpy as np

from .world_v2 import parse_caption, scene_meaning

# view name -> what of a (colour, shape, quadrant) triple the retriever sees
VIEWS: Dict[str, Callable[[tuple], tuple]] = {
    'oracle': lambda t: t,
    'colour_oracle': lambda t: (t[0], ),
    'no_shape_oracle': lambda t: (t[0], t[2]),
    'no_layout_oracle': lambda t: (t[0], t[1]),
}


def project(meaning, view: str) -> Hashable:
    """A meaning (set of triples) as the retriever of ``view`` sees it: the
    multiset of the triples' visible parts."""
    return tuple(sorted(VIEWS[view](t) for t in meaning))


def recall_at_1(truth: np.ndarray, caption_image: Sequence[int]) -> dict:
    """Expected TR / IR R@1 (%) of a retriever that scores pairs by
    ``truth`` and breaks ties at random (the reference computation).

    Args:
        truth (numpy.ndarray): ``(num_captions, num_images)`` scores.
        caption_image (Sequence[int]): Image index of each caption.

    Returns:
        dict: ``tr_r1``, ``ir_r1`` and their ``mean``.
    """
    truth = np.asarray(truth, dtype=np.float64)
    gt = np.asarray(caption_image)
    num_captions, num_images = truth.shape
    ir = []
    for c in range(num_captions):
        best = truth[c] == truth[c].max()
        ir.append(best[gt[c]] / best.sum())
    tr = []
    for i in range(num_images):
        best = truth[:, i] == truth[:, i].max()
        tr.append(best[gt == i].sum() / best.sum())
    return _result(tr, ir)


def _result(tr, ir) -> dict:
    tr, ir = 100 * float(np.mean(tr)), 100 * float(np.mean(ir))
    return dict(
        tr_r1=round(tr, 2), ir_r1=round(ir, 2), mean=round((tr + ir) / 2, 2))


def _hit(total: int, top: int, good_top: int, good: int, k: int) -> float:
    """P(one of ``good`` right answers is in the first ``k``) when ``top``
    candidates (``good_top`` of them right) tie above the other ``total -
    top`` and ties are broken at random."""
    if k <= top:
        return 1 - comb(top - good_top, k) / comb(top, k)
    if good_top:
        return 1.0
    rest = total - top
    if k - top >= rest:
        return float(good > 0)
    return 1 - comb(rest - good, k - top) / comb(rest, k - top)


def view_recall(image_keys: Sequence[Hashable],
                caption_keys: Sequence[Hashable],
                caption_image: Sequence[int],
                ks: Sequence[int] = (1, )) -> dict:
    """:func:`recall_at_1` of the 0/1 score ``caption_key == image_key``,
    computed by counting (no ``captions x images`` matrix).

    ``ks`` must hold 1. With ``ks`` other than ``(1,)`` it also gives
    ``tr_r{k}`` / ``ir_r{k}`` for each k and ``mean_recall``, their mean
    over k and both directions (the retrieval metric's ``r_mean``), with
    ties broken at random.
    """
    gt = list(caption_image)
    num_images, num_captions = len(image_keys), len(caption_keys)
    images_with = Counter(image_keys)
    captions_with = Counter(caption_keys)
    own: List[List[Hashable]] = [[] for _ in image_keys]
    for c, i in enumerate(gt):
        own[i].append(caption_keys[c])
    tr: Dict[int, list] = {k: [] for k in ks}
    ir: Dict[int, list] = {k: [] for k in ks}
    for c, key in enumerate(caption_keys):
        top = images_with.get(key, 0) or num_images  # none: all tie at 0
        right = float(image_keys[gt[c]] == key or top == num_images)
        for k in ks:
            ir[k].append(_hit(num_images, top, int(right), 1, k))
    for i, key in enumerate(image_keys):
        top = captions_with.get(key, 0)
        good_top = sum(k == key for k in own[i])
        if top == 0:
            top, good_top = num_captions, len(own[i])
        for k in ks:
            tr[k].append(_hit(num_captions, top, good_top, len(own[i]), k))
    out = _result(tr[1], ir[1])
    if tuple(ks) != (1, ):
        for k in ks:
            out[f'tr_r{k}'] = round(100 * float(np.mean(tr[k])), 2)
            out[f'ir_r{k}'] = round(100 * float(np.mean(ir[k])), 2)
        out['mean_recall'] = round(float(np.mean(
            [out[f'{d}_r{k}'] for d in ('tr', 'ir') for k in ks])), 2)
    return out


def split_semantics(scenes: Sequence[dict],
                    captions: Sequence[Sequence[str]]) -> dict:
    """The semantic figures of one split (see the module docstring).

    Args:
        scenes (Sequence[dict]): The split's scenes.
        captions (Sequence[Sequence[str]]): The captions of each image.

    Returns:
        dict: ``num_images``, ``num_captions``, ``caption_ambiguity``,
        ``unique_captions`` and one recall dict per view of :data:`VIEWS`
        (R@1, and R@1 / 5 / 10 with their ``mean_recall``).
    """
    image_meanings = [scene_meaning(s) for s in scenes]
    caption_meanings, caption_image = [], []
    for i, caps in enumerate(captions):
        for text in caps:
            caption_meanings.append(parse_caption(text))
            caption_image.append(i)
    num_images, num_captions = len(scenes), len(caption_meanings)
    counts = Counter(image_meanings)
    true_of = [counts.get(m, 0) for m in caption_meanings]
    own = [m == image_meanings[i]
           for m, i in zip(caption_meanings, caption_image)]
    others = sum(t - o for t, o in zip(true_of, own))
    pairs = num_captions * max(num_images - 1, 1)
    out = dict(
        num_images=num_images,
        num_captions=num_captions,
        captions_true_of_own_image=round(100 * float(np.mean(own)), 2),
        caption_ambiguity=round(100 * others / pairs, 4),
        unique_captions=round(
            100 * float(np.mean([t == o == 1
                                 for t, o in zip(true_of, own)])), 2))
    for view in VIEWS:
        out[view] = view_recall([project(m, view) for m in image_meanings],
                                [project(m, view) for m in caption_meanings],
                                caption_image, ks=(1, 5, 10))
    return out


def format_semantics(split: str, sem: dict) -> str:
    """One line per split for the generator's console output."""
    views = '  '.join(f'{v} R@1 TR {sem[v]["tr_r1"]:.1f} IR '
                      f'{sem[v]["ir_r1"]:.1f}' for v in VIEWS)
    return (f'{split}: caption ambiguity {sem["caption_ambiguity"]:.3f}% '
            f'(unique captions {sem["unique_captions"]:.1f}%)  {views}')
