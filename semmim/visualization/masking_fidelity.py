"""Does text-guided masking follow the text? A number, on Shapes-VL.

Text-guided masking (paper Section 3.3) should mask the patches a caption
talks about more often than random masking of the same ratio does. On
Shapes-VL the generator knows every object's pixels and the caption's words,
so this is measured directly:

* :func:`named_objects` reads back which objects a caption names (each noun
  phrase "[size] [colour] noun" of the generator picks out the objects with
  those attributes);
* :func:`named_patches` marks the patches those objects cover;
* :func:`hit_share` is the statistic: the share of masked patches that lie
  on the named objects, over all image-caption pairs. A random mask of the
  same ratio hits the named patches in proportion to their area
  (``named_share``), so ``text-guided / random`` above 1 means the masks
  follow the text.

:func:`masking_fidelity` measures it for several masking temperatures and
similarity choices of the model (see ``SemMIM.mask_similarity``). A
control keeps each pair's named patches but masks with the caption of
another image: masks that follow *this* caption beat it, masks that only
find objects (whatever the caption says) do not.
"""
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from semmim.datasets.shapes_vl.language import (COLOR_WORDS, GENERIC_NOUNS,
                                                PLURALS, SHAPE_WORDS,
                                                SIZE_WORDS)


def _surface(table: Dict[str, Sequence[str]]) -> Dict[str, str]:
    return {form: canon for canon, forms in table.items() for form in forms}


_SIZES = _surface(SIZE_WORDS)
_COLORS = _surface(COLOR_WORDS)
# noun (singular or plural, one or two words) -> canonical shape or None
_NOUNS: Dict[str, Optional[str]] = {}
for _canon, _forms in SHAPE_WORDS.items():
    for _form in _forms:
        _NOUNS[_form] = _canon
        _NOUNS[PLURALS[_form]] = _canon
for _generic in GENERIC_NOUNS:
    _NOUNS[_generic] = None
    _NOUNS[PLURALS[_generic]] = None
_NOUN_RE = re.compile(r'\b(' + '|'.join(
    sorted((re.escape(n) for n in _NOUNS), key=len, reverse=True)) + r')\b')


def named_objects(caption: str, objects: Sequence[dict]) -> List[int]:
    """Indices of the objects a Shapes-VL caption names.

    Every noun phrase of the generator is ``[size] [colour] noun`` (noun: a
    shape word, or "shape"/"object"); it names the objects that have all
    the attributes it states. Words that are not in such a phrase (a
    predicate "is large", the background's colour before "background")
    name nothing.

    Args:
        caption (str): A caption of the v1 generator.
        objects (Sequence[dict]): The scene's objects (``shape``, ``color``,
            ``size``).

    Returns:
        list[int]: Sorted object indices.
    """
    named = set()
    for match in _NOUN_RE.finditer(caption.lower()):
        attrs = {}
        shape = _NOUNS[match.group(1)]
        if shape is not None:
            attrs['shape'] = shape
        before = caption[:match.start()].lower().split()
        if before and before[-1] in _COLORS:
            attrs['color'] = _COLORS[before.pop()]
        if before and before[-1] in _SIZES:
            attrs['size'] = _SIZES[before.pop()]
        if not attrs:
            continue  # "a shape" alone picks out nothing
        named.update(i for i, o in enumerate(objects)
                     if all(o[k] == v for k, v in attrs.items()))
    return sorted(named)


def named_patches(scene: dict, caption: str, grid: int,
                  min_fraction: float = 0.25) -> np.ndarray:
    """``(grid, grid)`` bool: patches at least ``min_fraction`` covered by
    the objects ``caption`` names."""
    from semmim.datasets.shapes_vl import render_label_map
    label_map = render_label_map(scene)
    size = label_map.shape[0]
    if size % grid:
        raise ValueError(f'image side {size} is not a multiple of the '
                         f'{grid} x {grid} patch grid')
    ids = np.asarray(named_objects(caption, scene['objects'])) + 1
    covered = np.isin(label_map, ids) if ids.size else \
        np.zeros_like(label_map, bool)
    q = size // grid
    frac = covered.reshape(grid, q, grid, q).mean((1, 3))
    return frac >= min_fraction


def hit_share(masks: np.ndarray, named: np.ndarray) -> float:
    """Share of all masked patches that lie on named patches.

    Args:
        masks (np.ndarray): ``(..., N)`` bool masks.
        named (np.ndarray): Same shape, bool ground truth.
    """
    masks = np.asarray(masks, bool)
    n = masks.sum()
    return float((masks & np.asarray(named, bool)).sum() / n) if n \
        else float('nan')


@torch.no_grad()
def mask_similarity(model, images: torch.Tensor, captions: Sequence[str],
                    features: Optional[str] = None) -> torch.Tensor:
    """``(B, N)`` patch-text similarities S_i that ``model`` masks with,
    for images and captions outside a training step (the momentum image
    and text encoders' outputs, the caption's online ITC feature; see
    ``SemMIM.mask_similarity``).

    Args:
        model (SemMIM): Pre-training model.
        images (Tensor): ``(B, 3, H, W)`` uint8 BGR or normalised floats.
        captions (Sequence[str]): One per image.
        features (str, optional): One of ``SemMIM``'s ``MASK_FEATURES``;
            defaults to the model's own.
    """
    preprocessor = model.data_preprocessor
    x = preprocessor.normalize(images) if images.dtype == torch.uint8 \
        else images.to(preprocessor.device)
    tokens = preprocessor.tokenize(list(captions))
    ids, mask = tokens['ids'], tokens['mask']
    text_feat = model.itc_head.project_text(
        model.text_encoder(ids, mask)[:, 0])
    towers = model.momentum_towers.module
    text_m = towers['text_encoder'](ids, mask)
    image_m = model.momentum_vision.module['backbone'](x)[0]
    return model.teacher.mask_similarity(model, image_m, text_feat, text_m,
                                         mask, features)


@torch.no_grad()
def masking_fidelity(model,
                     images: torch.Tensor,
                     captions: Sequence[str],
                     named: np.ndarray,
                     temperatures: Sequence[float],
                     features: Sequence[str] = ('itc', ),
                     draws: int = 4,
                     seed: int = 0,
                     batch_size: int = 256,
                     other_captions: Optional[Sequence[str]] = None,
                     objects: Optional[np.ndarray] = None) -> List[dict]:
    """The hit share of text-guided and random masks of the model's ratio.

    Args:
        model (SemMIM): Pre-training model with a ``mask_generator``.
        images (Tensor): ``(B, 3, H, W)`` (see :func:`mask_similarity`).
        captions (Sequence[str]): One per image (repeat images for more
            captions).
        named (np.ndarray): ``(B, N)`` bool, :func:`named_patches` per pair.
        temperatures (Sequence[float]): tau_m values to measure.
        features (Sequence[str]): Patch-feature choices to measure.
        draws (int): Masks drawn per pair and setting. Defaults to 4.
        seed (int): Defaults to 0.
        batch_size (int): Pairs per forward pass. Defaults to 256.
        other_captions (Sequence[str], optional): The control: for each
            pair a caption of another image; masks drawn with it are
            scored against this pair's named patches (``other_caption``).
        objects (np.ndarray, optional): ``(B, N)`` bool, the patches of
            all objects. Then, over the pairs whose caption names some
            objects but not all, ``which_object`` is the share of the
            masked object patches that lie on named ones (and
            ``which_object_other`` with the other captions), against
            ``which_object_area``, what a mask blind to the caption but
            drawn to objects gets.

    Returns:
        list[dict]: One row per (features, temperature): ``features``,
        ``temperature``, ``text_guided`` and ``random`` hit shares,
        ``lift`` (their ratio), ``other_caption`` (the control, when
        given), ``prob_on_named`` (mean probability mass
        of the first draw on named patches) and ``named_share`` (named
        patches among all: random's expectation).
    """
    from semmim.models.utils.mask_generator import TextGuidedMaskGenerator
    ratio = model.mask_generator.mask_ratio
    named = np.asarray(named, bool).reshape(len(captions), -1)
    rows = []
    g = torch.Generator().manual_seed(seed)
    subset = tiled_obj = None
    if objects is not None:
        objects = np.asarray(objects, bool).reshape(named.shape)
        subset = named.any(1) & (objects & ~named).any(1)
        tiled_obj = np.tile(objects, (draws, 1))
        if not subset.any():
            subset = None
    for feat in features:
        def similarity(caps):
            return torch.cat([
                mask_similarity(model, images[i:i + batch_size],
                                caps[i:i + batch_size], feat)
                for i in range(0, len(caps), batch_size)]).cpu()

        sim = similarity(captions)
        other = similarity(other_captions) if other_captions else None
        random = TextGuidedMaskGenerator(mask_ratio=ratio, masking='random')
        rand = np.concatenate([
            random(similarity=sim, generator=g).numpy()
            for _ in range(draws)])
        for tau in temperatures:
            guided = TextGuidedMaskGenerator(
                mask_ratio=ratio, masking='text_guided', temperature=tau)
            masks = np.concatenate([
                guided(similarity=sim, generator=g).numpy()
                for _ in range(draws)])
            prob = guided.probabilities(similarity=sim).numpy()
            tiled = np.tile(named, (draws, 1))
            row = dict(features=feat, temperature=float(tau),
                       text_guided=hit_share(masks, tiled),
                       random=hit_share(rand, tiled),
                       prob_on_named=float((prob * named).sum(1).mean()),
                       named_share=float(named.mean()))
            row['lift'] = row['text_guided'] / row['random']
            other_masks = None
            if other is not None:
                other_masks = np.concatenate([
                    guided(similarity=other, generator=g).numpy()
                    for _ in range(draws)])
                row['other_caption'] = hit_share(other_masks, tiled)
            if subset is not None:
                sub = np.tile(subset, draws)
                row['which_object'] = hit_share(
                    masks[sub] & tiled_obj[sub], tiled[sub])
                row['which_object_area'] = float(
                    named[subset].sum() / objects[subset].sum())
                if other_masks is not None:
                    row['which_object_other'] = hit_share(
                        other_masks[sub] & tiled_obj[sub], tiled[sub])
            rows.append(row)
    return rows
