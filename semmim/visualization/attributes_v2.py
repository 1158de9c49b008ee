"""The attribute probe on Shapes-VL v2 (images of 2-3 objects).

v2 has no single-object images, so the probe of :mod:`.attributes` is
asked per object: for every object of every image, the image's plain list
caption (:func:`semmim.datasets.shapes_vl.world_v2.describe`) is varied in
that object's colour (its shape and every other object fixed) and in its
shape (its colour fixed), and the image embedding is compared with the
ITC embeddings of the variants (the ITM head's matched probability of each
variant as well, for models with one):

* colour accuracy: the object's true colour wins among the colour
  variants; chance ``1 / #colours``;
* shape accuracy: the true shape wins among the shape variants; chance
  ``1 / #shapes``.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

from semmim.datasets.shapes_vl.world_v2 import describe
from .attributes import fusion_context


def variant_captions(scene: dict, colors: Sequence[str],
                     shapes: Sequence[str]) -> Tuple[List[str], List[dict]]:
    """The colour and shape variants of every object of a scene.

    Returns:
        tuple: the captions, and per object ``{'color': (start, true
        index), 'shape': (start, true index)}``: the variants of an
        attribute are ``captions[start:start + len(values)]`` in the order
        of ``colors`` / ``shapes``.
    """
    captions, index = [], []
    for k, obj in enumerate(scene['objects']):
        entry = {}
        for key, values in (('color', colors), ('shape', shapes)):
            entry[key] = (len(captions), list(values).index(obj[key]))
            for value in values:
                objects = [dict(o) for o in scene['objects']]
                objects[k][key] = value
                captions.append(describe(objects))
        index.append(entry)
    return captions, index


def _accuracy(scores: np.ndarray, index: List[dict], key: str,
              size: int) -> float:
    hits = [scores[s:s + size].argmax() == t
            for s, t in (entry[key] for entry in index)]
    return float(np.mean(hits))


@torch.no_grad()
def object_attribute_scores(model, images: torch.Tensor,
                            scenes: Sequence[dict], colors: Sequence[str],
                            shapes: Sequence[str],
                            with_itm: bool = True) -> Dict[str, dict]:
    """ITC (and ITM) colour / shape accuracy over the objects of images.

    Args:
        model (SemMIM): A pre-trained model (``extract_feat``; for ITM its
            text and fusion encoders and ITM head).
        images (Tensor): uint8 ``(B, 3, H, W)`` from ``load_images``.
        scenes (Sequence[dict]): The scene of each image.
        colors, shapes (Sequence[str]): The world's vocabulary.
        with_itm (bool): Also score with the ITM head, if the model has
            one.

    Returns:
        dict: ``itc`` (and ``itm``): ``num_objects``, ``color``,
        ``shape``, ``chance_color``, ``chance_shape``.
    """
    prep = model.data_preprocessor
    use_itm = with_itm and getattr(model, 'itm_head', None) is not None
    itc_c, itc_s, itm_c, itm_s = [], [], [], []
    for b, scene in enumerate(scenes):
        captions, index = variant_captions(scene, colors, shapes)
        tokens = prep.tokenize(captions)
        ids = tokens['ids'].to(prep.device)
        mask = tokens['mask'].to(prep.device)
        x = prep.normalize(images[b:b + 1].to(prep.device))
        image = model.extract_feat(dict(images=x))['image_feat']
        text = model.extract_feat(dict(text_ids=ids,
                                       text_mask=mask))['text_feat']
        sim = (text @ image[0]).float().cpu().numpy()
        itc_c.append(_accuracy(sim, index, 'color', len(colors)))
        itc_s.append(_accuracy(sim, index, 'shape', len(shapes)))
        if use_itm:
            context = fusion_context(model, x)
            hidden = model.text_encoder(ids, mask)
            fused = model.fusion_encoder(hidden, mask,
                                         context.expand(len(ids), -1, -1))
            prob = model.itm_head(fused[:, 0]).float().softmax(-1)[:, 1]
            prob = prob.cpu().numpy()
            itm_c.append(_accuracy(prob, index, 'color', len(colors)))
            itm_s.append(_accuracy(prob, index, 'shape', len(shapes)))
    num_objects = sum(len(s['objects']) for s in scenes)
    weights = [len(s['objects']) for s in scenes]

    def table(color, shape):
        return dict(
            num_objects=num_objects,
            color=float(np.average(color, weights=weights)),
            shape=float(np.average(shape, weights=weights)),
            chance_color=1.0 / len(colors),
            chance_shape=1.0 / len(shapes))

    out = dict(itc=table(itc_c, itc_s))
    if use_itm:
        out['itm'] = table(itm_c, itm_s)
    return out


def format_object_scores(scores: Dict[str, dict]) -> str:
    """Rows: attribute, ITC, ITM, chance."""
    itc, itm = scores['itc'], scores.get('itm')
    rows = [f'{itc["num_objects"]} objects (Shapes-VL v2): the image\'s '
            'list caption with one object\'s colour / shape varied',
            f'  {"attribute":<10}{"ITC":>7}{"ITM":>7}{"chance":>8}']
    for key in ('color', 'shape'):
        m = f'{itm[key]:>7.3f}' if itm else f'{"-":>7}'
        rows.append(f'  {key:<10}{itc[key]:>7.3f}{m}'
                    f'{itc["chance_" + key]:>8.3f}')
    return '\n'.join(rows)
