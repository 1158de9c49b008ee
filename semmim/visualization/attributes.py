"""What a model knows about the objects of an image, at image level.

Patch codes can only be object-level if the model tells the objects'
attributes apart at all. On Shapes-VL this is measured zero-shot with ITC:
for every single-object image, the image embedding is compared with the
embeddings of template captions ``"a {color} {shape}"`` for every colour
and shape of the vocabulary, and

* colour accuracy: the true colour wins among the captions with the true
  shape;
* shape accuracy: the true shape wins among the captions with the true
  colour;
* both: the true caption wins among all of them.

Chance is ``1 / #colours``, ``1 / #shapes`` and ``1 / (#colours x
#shapes)``.

The ITM head is asked the same: the matched probability of every image with
every template caption, scored like the ITC similarities.

The same question is asked of the fusion encoder through the MLM head:
``"a {color} [MASK]"`` with the image, arg-max over the shape words (and
``"a [MASK] {shape}"`` over the colour words). ``majority`` is the share of
the most frequent prediction: 1.0 means the head says the same word for
every image, whatever it shows.

Accuracies say whether an attribute is read; variance shares say where it
is lost. :func:`variance_share` is the share of the embeddings' variance
explained by an attribute's groups (eta squared): for the ITC embeddings of
the template captions (text side) and of the images (image side), per
colour and per shape. A text tower whose captions differ only by colour
(shape share ~0) cannot teach the image tower shapes through ITC, and the
other way round.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .patch_codes import model_batches

DEFAULT_TEMPLATE = 'a {color} {shape}'


def shapes_vl_vocab(data_root: str) -> Tuple[List[str], List[str]]:
    """``(colors, shapes)`` of a generated Shapes-VL (``meta.json``)."""
    path = osp.join(data_root, 'meta.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found; generate Shapes-VL with '
            'tools/dataset_converters/generate_shapes_vl.py')
    with open(path) as f:
        vocab = json.load(f)['vocab']
    return list(vocab['colors']), list(vocab['shapes'])


def single_object(samples: Sequence[dict]) -> List[dict]:
    """The samples whose scene holds exactly one object."""
    return [s for s in samples
            if s.get('scene') and len(s['scene']['objects']) == 1]


def attribute_scores(sim: np.ndarray, color_idx: np.ndarray,
                     shape_idx: np.ndarray) -> Dict[str, float]:
    """Accuracies from image-caption similarities.

    Args:
        sim (np.ndarray): ``(B, C, S)`` similarity of image ``b`` with the
            caption of colour ``c`` and shape ``s``.
        color_idx, shape_idx (np.ndarray): ``(B,)`` true colour and shape.

    Returns:
        dict: ``num_images``, ``color``, ``shape``, ``both`` and their
        ``chance_*``.
    """
    sim = np.asarray(sim)
    B, C, S = sim.shape
    rows = np.arange(B)
    best = sim.reshape(B, -1).argmax(1)
    return dict(
        num_images=int(B),
        color=float((sim[rows, :, shape_idx].argmax(1) == color_idx).mean()),
        shape=float((sim[rows, color_idx, :].argmax(1) == shape_idx).mean()),
        both=float(((best // S == color_idx) &
                    (best % S == shape_idx)).mean()),
        chance_color=1.0 / C,
        chance_shape=1.0 / S,
        chance_both=1.0 / (C * S))


def template_captions(colors: Sequence[str], shapes: Sequence[str],
                      template: str = DEFAULT_TEMPLATE) -> List[str]:
    """The ``C x S`` captions, colour-major (row ``c * S + s``)."""
    return [template.format(color=c, shape=s)
            for c in colors for s in shapes]


@torch.no_grad()
def fusion_context(model, images: torch.Tensor,
                   batch_size: int = 64) -> torch.Tensor:
    """``(B, 1 + N, C_text)`` image tokens as the fusion encoder takes them
    (online ViT, then ``adapt_image``): one image pass that the ITM and MLM
    probes share.

    Args:
        model (SemMIM): With ``vision_backbone`` and ``fusion_encoder``.
        images (Tensor): ``(B, 3, H, W)`` uint8 BGR or normalised images.
        batch_size (int): Images per ViT pass.
    """
    return torch.cat([
        model.fusion_encoder.adapt_image(model.vision_backbone(x)[0])
        for x in model_batches(model, images, batch_size)])


def variance_share(features, labels) -> float:
    """Share of the total variance of ``features`` that lies between the
    groups of ``labels`` (eta squared; 0: the groups have equal means, 1:
    every feature equals its group mean).

    Args:
        features (array-like): ``(N, D)``.
        labels (array-like): ``(N,)`` group of each row.
    """
    x = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    centred = x - x.mean(0)
    total = float((centred ** 2).sum())
    if total == 0:
        return 0.0
    between = 0.0
    for group in np.unique(labels):
        rows = centred[labels == group]
        between += len(rows) * float((rows.mean(0) ** 2).sum())
    return between / total


@torch.no_grad()
def template_text_features(model, colors: Sequence[str],
                           shapes: Sequence[str],
                           template: str = DEFAULT_TEMPLATE) -> torch.Tensor:
    """``(C * S, D)`` ITC text embeddings of the template captions,
    colour-major (the model's ``extract_feat``)."""
    prep = model.data_preprocessor
    tokens = prep.tokenize(template_captions(colors, shapes, template))
    return model.extract_feat(dict(
        text_ids=tokens['ids'].to(prep.device),
        text_mask=tokens['mask'].to(prep.device)))['text_feat']


@torch.no_grad()
def image_features(model, images: torch.Tensor,
                   batch_size: int = 64) -> torch.Tensor:
    """``(B, D)`` ITC image embeddings (the model's ``extract_feat``)."""
    return torch.cat([
        model.extract_feat(dict(images=x))['image_feat']
        for x in model_batches(model, images, batch_size)])


def embedding_variance_shares(text: torch.Tensor, image: torch.Tensor,
                              num_shapes: int, color_idx: np.ndarray,
                              shape_idx: np.ndarray) -> Dict[str, float]:
    """:func:`variance_share` of colour and shape on both sides.

    Args:
        text (Tensor): ``(C * S, D)`` from :func:`template_text_features`.
        image (Tensor): ``(B, D)`` from :func:`image_features`.
        num_shapes (int): ``S``.
        color_idx, shape_idx (np.ndarray): ``(B,)`` true attributes.
    """
    text = text.float().cpu().numpy()
    rows = np.arange(text.shape[0])
    image = image.float().cpu().numpy()
    num_colors = text.shape[0] // num_shapes
    return dict(
        text_color=variance_share(text, rows // num_shapes),
        text_shape=variance_share(text, rows % num_shapes),
        image_color=variance_share(image, color_idx),
        image_shape=variance_share(image, shape_idx),
        chance_text_color=null_variance_share(num_colors, len(rows)),
        chance_text_shape=null_variance_share(num_shapes, len(rows)),
        chance_image_color=null_variance_share(
            len(np.unique(color_idx)), len(image)),
        chance_image_shape=null_variance_share(
            len(np.unique(shape_idx)), len(image)))


def null_variance_share(num_groups: int, num_rows: int) -> float:
    """Expected :func:`variance_share` of features that ignore the groups
    (i.i.d. Gaussian rows): ``(groups - 1) / (rows - 1)``."""
    return (num_groups - 1) / max(num_rows - 1, 1)


def format_variance_shares(shares: Dict[str, float]) -> str:
    return '\n'.join([
        'share of ITC embedding variance explained by (eta squared):',
        f'  {"side":<8}{"colour":>8}{"shape":>8}   (features blind to both)',
        *(f'  {side:<8}{shares[side + "_color"]:>8.3f}'
          f'{shares[side + "_shape"]:>8.3f}   '
          f'({shares["chance_" + side + "_color"]:.3f} / '
          f'{shares["chance_" + side + "_shape"]:.3f})'
          for side in ('text', 'image'))])


@torch.no_grad()
def attribute_similarities(model, images: torch.Tensor,
                           colors: Sequence[str], shapes: Sequence[str],
                           template: str = DEFAULT_TEMPLATE,
                           batch_size: int = 64) -> np.ndarray:
    """``(B, C, S)`` ITC cosine similarities of images and template
    captions (the model's ``extract_feat``: projected, L2-normalised
    [CLS] embeddings of the online encoders).

    Args:
        model: A model with ``extract_feat`` returning ``image_feat`` /
            ``text_feat`` (SemMIM pre-training or retrieval models).
        images (Tensor): ``(B, 3, H, W)`` uint8 BGR or normalised images.
        colors, shapes (Sequence[str]): The vocabulary.
        template (str): With ``{color}`` and ``{shape}`` fields.
    """
    return similarity_grid(image_features(model, images, batch_size),
                           template_text_features(model, colors, shapes,
                                                  template), len(shapes))


def similarity_grid(image: torch.Tensor, text: torch.Tensor,
                    num_shapes: int) -> np.ndarray:
    """``(B, C, S)`` cosines of ``(B, D)`` image and colour-major
    ``(C * S, D)`` text embeddings."""
    sim = (image @ text.t()).float().cpu().numpy()
    return sim.reshape(image.shape[0], -1, num_shapes)


@torch.no_grad()
def itm_match_probabilities(model, context: torch.Tensor,
                            colors: Sequence[str], shapes: Sequence[str],
                            template: str = DEFAULT_TEMPLATE,
                            batch_size: int = 16) -> np.ndarray:
    """``(B, C, S)`` ITM matched probability of every image with every
    template caption (the online text and fusion encoders and the ITM
    head, as in training).

    Args:
        model (SemMIM): With ``text_encoder``, ``fusion_encoder`` and
            ``itm_head``.
        context (Tensor): ``(B, 1 + N, C)`` from :func:`fusion_context`.
        colors, shapes (Sequence[str]): The vocabulary.
        template (str): With ``{color}`` and ``{shape}`` fields.
        batch_size (int): Images per fusion pass (each is fused with all
            ``C x S`` captions).
    """
    prep = model.data_preprocessor
    tokens = prep.tokenize(template_captions(colors, shapes, template))
    ids, text_mask = tokens['ids'].to(prep.device), tokens['mask'].to(
        prep.device)
    text = model.text_encoder(ids, text_mask)
    num = ids.shape[0]
    probs = []
    for chunk in context.split(batch_size):
        n = chunk.shape[0]
        fused = model.fusion_encoder(text.repeat(n, 1, 1),
                                     text_mask.repeat(n, 1),
                                     chunk.repeat_interleave(num, 0))
        logits = model.itm_head(fused[:, 0]).float()
        probs.append(logits.softmax(-1)[:, 1].view(n, num).cpu())
    prob = torch.cat(probs).numpy()
    return prob.reshape(context.shape[0], len(colors), len(shapes))


def format_scores(scores: Dict[str, float],
                  mlm: Optional[Dict[str, float]] = None,
                  itm: Optional[Dict[str, float]] = None) -> str:
    rows = [f'{scores["num_images"]} single-object images; ITC / ITM: '
            'template captions, MLM: "a <color> [MASK]" / "a [MASK] <shape>"',
            f'  {"attribute":<10}{"ITC":>7}{"ITM":>7}{"MLM":>7}{"chance":>8}'
            f'{"MLM majority":>14}']

    def cell(table, key, width=7):
        return f'{table[key]:>{width}.3f}' if table and key in table \
            else f'{"-":>{width}}'

    for key in ('color', 'shape', 'both'):
        rows.append(f'  {key:<10}{scores[key]:>7.3f}{cell(itm, key)}'
                    f'{cell(mlm, key)}{scores["chance_" + key]:>8.3f}'
                    f'{cell(mlm, key + "_majority", 14)}')
    return '\n'.join(rows)


def _word_ids(tokenizer, words: Sequence[str]) -> List[int]:
    ids = []
    for word in words:
        pieces = tokenizer.tokenize(word)
        if len(pieces) != 1:
            raise ValueError(f'{word!r} is {len(pieces)} word pieces '
                             f'({pieces}); the MLM probe needs one')
        ids.append(tokenizer.convert_tokens_to_ids(pieces[0]))
    return ids


@torch.no_grad()
def mlm_attribute_scores(model, context: torch.Tensor,
                         colors: Sequence[str], shapes: Sequence[str],
                         color_idx: np.ndarray, shape_idx: np.ndarray,
                         batch_size: int = 64) -> Dict[str, float]:
    """Shape and colour accuracy of the MLM head on the fused image and
    ``"a {color} [MASK]"`` / ``"a [MASK] {shape}"``, restricted to the
    vocabulary's words.

    Args:
        model (SemMIM): With ``text_encoder``, ``fusion_encoder`` and
            ``mlm_head``.
        context (Tensor): ``(B, 1 + N, C)`` from :func:`fusion_context`.
        colors, shapes (Sequence[str]): The vocabulary (one word piece
            each).
        color_idx, shape_idx (np.ndarray): ``(B,)`` the truth.

    Returns:
        dict: ``shape``, ``color`` (accuracies), ``shape_majority``,
        ``color_majority`` (share of the most frequent prediction).
    """
    prep = model.data_preprocessor
    tokenizer = prep.tokenizer
    mask = tokenizer.mask_token
    queries = dict(
        shape=([f'a {colors[c]} {mask}' for c in color_idx],
               _word_ids(tokenizer, shapes), np.asarray(shape_idx)),
        color=([f'a {mask} {shapes[s]}' for s in shape_idx],
               _word_ids(tokenizer, colors), np.asarray(color_idx)))
    preds = {name: [] for name in queries}
    for start in range(0, context.shape[0], batch_size):
        chunk = context[start:start + batch_size]
        for name, (captions, word_ids, _) in queries.items():
            tokens = prep.tokenize(captions[start:start + batch_size])
            ids = tokens['ids'].to(prep.device)
            text_mask = tokens['mask'].to(prep.device)
            fused = model.fusion_encoder(
                model.text_encoder(ids, text_mask), text_mask, chunk)
            logits = model.mlm_head(fused[ids == tokenizer.mask_token_id])
            preds[name].append(logits[:, word_ids].argmax(-1).cpu())
    out = {}
    for name, (_, word_ids, truth) in queries.items():
        pred = torch.cat(preds[name]).numpy()
        out[name] = float((pred == truth).mean())
        out[f'{name}_majority'] = float(
            np.bincount(pred, minlength=len(word_ids)).max() / len(pred))
    return out
