"""Held-out image-text matching: how often the ITM head is right.

The ITM head (:class:`semmim.models.heads.ITMHead`) is trained on one
matched pair and two ITC-hard negative pairs per caption (ALBEF). Its
held-out accuracy is measured on the same mixture, with the hardest
negatives instead of sampled ones:

* matched: each image with one of its own captions (drawn with a seed);
* hard negative caption: for each image, the caption of another image with
  the highest ITC similarity to it that is not true of it;
* hard negative image: for each matched caption, the other image with the
  highest ITC similarity to it of which the caption is not true.

"True of" is the world's truth function where it has one (Shapes-VL v2:
``world_v2.caption_true``, a caption names exactly the scene's objects
with their colours, shapes and quadrants; another image's caption can be
true of this one, and is then no negative), otherwise "is one of the
image's own captions".

That is matched : negative = 1 : 2, the ratio of ITM training, so a head
that always says "no match" is right on 2/3 of the pairs: the prior. A pair
is called matched when ``p(match) = softmax(itm_head(fused [CLS]))[1]``
is above 0.5.
"""
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from .attributes import fusion_context, image_features

KINDS = ('matched', 'negative_caption', 'negative_image')

# truth(caption index, image index) -> whether the caption is true of it
Truth = Callable[[int, int], bool]


def own_caption_truth(caption_image: Sequence[int]) -> Truth:
    """The fallback truth: a caption is true of its own image only."""
    owner = np.asarray(caption_image)
    return lambda caption, image: bool(owner[caption] == image)


def v2_caption_truth(captions: Sequence[str],
                     scenes: Sequence[dict]) -> Truth:
    """Shapes-VL v2's truth (``world_v2.caption_true``); each caption is
    parsed once."""
    from semmim.datasets.shapes_vl.world_v2 import (caption_true,
                                                    parse_caption)
    meanings = [parse_caption(c) for c in captions]
    return lambda caption, image: caption_true(meanings[caption],
                                               scenes[image])


def hardest_false(sim: np.ndarray, is_true: Callable[[int, int], bool]
                  ) -> np.ndarray:
    """For each row, the column of highest similarity for which
    ``is_true(row, column)`` is False.

    Args:
        sim (np.ndarray): ``(R, C)`` similarities.
        is_true (callable): ``(row, column) -> bool``.

    Returns:
        np.ndarray: ``(R,)`` column indices.

    Raises:
        ValueError: When every column is true of a row.
    """
    order = np.argsort(-sim, axis=1, kind='stable')
    out = np.empty(sim.shape[0], dtype=np.int64)
    for row in range(sim.shape[0]):
        for col in order[row]:
            if not is_true(row, int(col)):
                out[row] = col
                break
        else:
            raise ValueError(f'row {row}: every candidate is true of it; '
                             'no negative')
    return out


def select_pairs(sim_i2t: np.ndarray, caption_image: Sequence[int],
                 truth: Truth, seed: int = 0) -> Dict[str, np.ndarray]:
    """The evaluation pairs (see the module docstring).

    Args:
        sim_i2t (np.ndarray): ``(I, T)`` ITC similarity of every image with
            every caption.
        caption_image (Sequence[int]): ``(T,)`` the image of each caption.
        truth (callable): ``(caption, image) -> bool``; a caption must be
            true of its own image.
        seed (int): Draws each image's matched caption.

    Returns:
        dict: ``image``, ``caption`` (indices), ``anchor`` (the image the
        pair was selected for: its own, or the matched caption's),
        ``label`` (1 matched, 0 not) and ``kind`` (index into
        :data:`KINDS`), ``3 I`` pairs: the matched ones, the negative
        captions, the negative images.
    """
    caption_image = np.asarray(caption_image)
    num_images = sim_i2t.shape[0]
    rng = np.random.default_rng(seed)
    matched = np.empty(num_images, dtype=np.int64)
    for image in range(num_images):
        own = np.flatnonzero(caption_image == image)
        if not len(own):
            raise ValueError(f'image {image} has no caption')
        matched[image] = own[rng.integers(len(own))]
    neg_caption = hardest_false(sim_i2t, lambda i, t: truth(t, i))
    neg_image = hardest_false(sim_i2t[:, matched].T,
                              lambda m, i: truth(matched[m], i))
    images = np.arange(num_images)
    n = num_images
    return dict(
        image=np.concatenate([images, images, neg_image]),
        caption=np.concatenate([matched, neg_caption, matched]),
        anchor=np.concatenate([images, images, images]),
        label=np.repeat([1, 0, 0], n),
        kind=np.repeat([0, 1, 2], n))


@torch.no_grad()
def text_features(model, captions: Sequence[str], batch_size: int = 256
                  ) -> torch.Tensor:
    """``(T, D)`` ITC text embeddings (the model's ``extract_feat``)."""
    prep = model.data_preprocessor
    feats = []
    for start in range(0, len(captions), batch_size):
        tokens = prep.tokenize(list(captions[start:start + batch_size]))
        feats.append(model.extract_feat(dict(
            text_ids=tokens['ids'].to(prep.device),
            text_mask=tokens['mask'].to(prep.device)))['text_feat'])
    return torch.cat(feats)


@torch.no_grad()
def match_probabilities(model, context: torch.Tensor,
                        captions: Sequence[str], pairs: Dict[str, np.ndarray],
                        images_per_pass: int = 64,
                        progress: bool = True) -> np.ndarray:
    """ITM ``p(match)`` of pairs, as in training: the online text encoder,
    the fusion encoder on the caption and the image tokens, the ITM head's
    softmax on the fusion [CLS].

    Args:
        model (SemMIM): With ``text_encoder``, ``fusion_encoder`` and
            ``itm_head``.
        context (Tensor): ``(I, 1 + N, C)`` from :func:`fusion_context`.
        captions (Sequence[str]): All captions.
        pairs (dict): ``image``, ``caption`` and ``anchor`` (the image a
            pair was selected for) of each pair, from :func:`select_pairs`.
        images_per_pass (int): One fusion pass holds the pairs of this many
            anchor images (each image's keys and values are computed once
            per pass).
        progress (bool): A progress bar (over the anchor images).

    Returns:
        np.ndarray: ``(P,)`` probabilities.
    """
    from tqdm import tqdm
    prep = model.data_preprocessor
    anchor = np.asarray(pairs['anchor'])
    num_images = context.shape[0]
    prob = np.zeros(len(anchor), dtype=np.float64)
    bar = tqdm(total=num_images, desc='ITM', unit='img',
               disable=not progress)
    for start in range(0, num_images, images_per_pass):
        stop = min(start + images_per_pass, num_images)
        rows = np.flatnonzero((anchor >= start) & (anchor < stop))
        tokens = prep.tokenize([captions[t] for t in pairs['caption'][rows]])
        ids = tokens['ids'].to(prep.device)
        mask = tokens['mask'].to(prep.device)
        index = torch.as_tensor(pairs['image'][rows], device=context.device)
        fused = model.fusion_encoder(model.text_encoder(ids, mask), mask,
                                     context, image_index=index)
        logits = model.itm_head(fused[:, 0]).float()
        prob[rows] = logits.softmax(-1)[:, 1].cpu().numpy()
        bar.update(stop - start)
    bar.close()
    return prob


def accuracy_table(prob: np.ndarray, label: np.ndarray, kind: np.ndarray,
                   threshold: float = 0.5) -> Dict[str, float]:
    """Accuracies (percent) of ``p(match) > threshold``.

    Returns:
        dict: ``num_pairs``, ``num_matched``, ``num_negative``; accuracy on
        ``matched``, ``negative`` (both kinds), ``negative_caption``,
        ``negative_image``, ``overall``, ``balanced`` (mean of matched and
        negative); ``prior`` (accuracy of always "no match") and
        ``margin`` (overall - prior), in points; ``auc`` (percent, no
        threshold): how often a matched pair's ``p(match)`` beats a
        negative's, ties half (50: no ranking).
    """
    label = np.asarray(label)
    kind = np.asarray(kind)
    right = (np.asarray(prob) > threshold) == (label == 1)

    def acc(rows):
        return float(100 * right[rows].mean()) if rows.any() else float('nan')

    pos, neg = label == 1, label == 0
    out = dict(num_pairs=int(len(label)), num_matched=int(pos.sum()),
               num_negative=int(neg.sum()), threshold=threshold,
               matched=acc(pos), negative=acc(neg))
    for k, name in enumerate(KINDS[1:], start=1):
        out[name] = acc(kind == k)
    out['overall'] = acc(np.ones_like(pos))
    out['balanced'] = (out['matched'] + out['negative']) / 2
    out['prior'] = float(100 * neg.mean())
    out['margin'] = out['overall'] - out['prior']
    out['auc'] = ranking_auc(np.asarray(prob)[pos], np.asarray(prob)[neg])
    return out


def ranking_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Percent of (positive, negative) score pairs the positive wins, ties
    counted half (ROC AUC by the Mann-Whitney statistic)."""
    if not len(pos) or not len(neg):
        return float('nan')
    scores = np.concatenate([pos, neg])
    order = np.argsort(scores, kind='stable')
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks (1-based) over ties
    _, first, counts = np.unique(sorted_scores, return_index=True,
                                 return_counts=True)
    mean_rank = first + (counts + 1) / 2
    ranks[order] = np.repeat(mean_rank, counts)
    wins = ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(100 * wins / (len(pos) * len(neg)))


def itm_accuracy(model, images: torch.Tensor, captions: Sequence[str],
                 caption_image: Sequence[int], truth: Truth, seed: int = 0,
                 images_per_pass: int = 64, progress: bool = True) -> dict:
    """Select the pairs with the model's ITC and score its ITM head.

    Args:
        model (SemMIM): With ``extract_feat`` and an ITM head.
        images (Tensor): ``(I, 3, H, W)`` uint8 BGR (``load_images``).
        captions (Sequence[str]): ``(T,)`` every caption of the images.
        caption_image (Sequence[int]): ``(T,)`` the image of each caption.
        truth (callable): ``(caption, image) -> bool``.
        seed (int): Draws each image's matched caption.
        images_per_pass (int): Anchor images per fusion pass (3 pairs
            each).
        progress (bool): Show a progress bar.

    Returns:
        dict: ``accuracy`` (:func:`accuracy_table`) and ``pairs``: per pair
        ``image``, ``caption``, ``label``, ``kind``, ``itc`` (similarity)
        and ``p_match``.
    """
    if getattr(model, 'itm_head', None) is None:
        raise ValueError(f'{type(model).__name__} has no ITM head')
    image_feat = image_features(model, images)
    text_feat = text_features(model, captions)
    sim = (image_feat @ text_feat.t()).float().cpu().numpy()
    pairs = select_pairs(sim, caption_image, truth, seed)
    context = fusion_context(model, images)
    prob = match_probabilities(model, context, captions, pairs,
                               images_per_pass, progress)
    pairs['itc'] = sim[pairs['image'], pairs['caption']]
    pairs['p_match'] = prob
    return dict(accuracy=accuracy_table(prob, pairs['label'],
                                        pairs['kind']),
                pairs={k: v.tolist() for k, v in pairs.items()})


def format_accuracy(acc: Dict[str, float],
                    title: Optional[str] = None) -> str:
    rows: List[str] = [title] if title else []
    rows += [f'{acc["num_pairs"]} pairs: {acc["num_matched"]} matched, '
             f'{acc["num_negative"]} ITC-hard negatives; matched if '
             f'p(match) > {acc["threshold"]}',
             f'  {"pairs":<20}{"accuracy %":>11}']
    for key, name in (('matched', 'matched'),
                      ('negative_caption', 'negative caption'),
                      ('negative_image', 'negative image'),
                      ('negative', 'all negatives'),
                      ('overall', 'overall'),
                      ('balanced', 'balanced'),
                      ('prior', 'prior (always no)')):
        rows.append(f'  {name:<20}{acc[key]:>11.1f}')
    rows.append(f'  {"margin over prior":<20}{acc["margin"]:>+11.1f}')
    rows.append(f'  {"ROC AUC (no cut)":<20}{acc["auc"]:>11.1f}')
    return '\n'.join(rows)
