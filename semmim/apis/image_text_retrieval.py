"""Image-to-text and text-to-image retrieval against a fixed gallery."""
import json
from typing import Callable, Dict, List, Sequence, Union

import torch
from mmengine.dataset import default_collate
from mmpretrain.structures import DataSample

from .base import BaseVLInferencer, ImageType, list_images


def load_texts(source: Union[str, Sequence[str]]) -> List[str]:
    """Texts from a list, or from a JSON file holding a list of strings or
    retrieval annotations (``[{"caption": str | [str, ...]}, ...]``)."""
    if not isinstance(source, str):
        return list(source)
    with open(source, 'r', encoding='utf-8') as f:
        content = json.load(f)
    texts = []
    for entry in content:
        if isinstance(entry, str):
            texts.append(entry)
        elif isinstance(entry, dict) and 'caption' in entry:
            caption = entry['caption']
            texts.extend([caption] if isinstance(caption, str) else caption)
        else:
            raise ValueError(f'{source}: expected a list of strings or of '
                             'objects with "caption"')
    return texts


class _RetrievalInferencer(BaseVLInferencer):
    """ITC similarity against the gallery, then (when the model re-ranks:
    an ITM head and ``topk > 0``) its ``topk`` best candidates re-ranked by
    the ITM matched-logit, as :class:`SemMIMRetrieval` evaluates."""

    def __init__(self, config, checkpoint=None, device='cpu'):
        super().__init__(config, checkpoint, device)
        model = self.model
        self.rerank_k = getattr(model, 'topk', 0) \
            if getattr(model, 'itm_head', None) is not None else 0
        self.image_pipeline = self.build_pipeline()
        self.clean_text = self.text_cleaner()

    def text_cleaner(self) -> Callable[[str], str]:
        """The config's caption cleaning, for one string."""
        pipeline = self.build_pipeline(text_keys=('text', ))
        steps = [t for t in pipeline.transforms
                 if type(t).__name__ in ('PreCaption', 'CleanCaption')]

        def clean(text: str) -> str:
            out = dict(text=text)
            for t in steps:
                out = t(out)
            return out['text']

        return clean

    def image_features(self, images: Sequence[ImageType],
                       batch_size: int) -> Dict[str, torch.Tensor]:
        parts: Dict[str, list] = {}
        for chunk in self.batches(images, batch_size):
            data = default_collate(
                [self.image_pipeline(self.sample(img)) for img in chunk])
            data['data_samples'] = None
            for k, v in self.extract(data).items():
                parts.setdefault(k, []).append(v)
        return {k: torch.cat(v) for k, v in parts.items()}

    def text_features(self, texts: Sequence[str],
                      batch_size: int) -> Dict[str, torch.Tensor]:
        parts: Dict[str, list] = {}
        for chunk in self.batches(texts, batch_size):
            samples = [DataSample(text=self.clean_text(t)) for t in chunk]
            for k, v in self.extract(dict(data_samples=samples)).items():
                parts.setdefault(k, []).append(v)
        return {k: torch.cat(v) for k, v in parts.items()}

    def rank(self, sims: torch.Tensor, itm: Callable, topk: int) -> list:
        """Top ``topk`` gallery items per query row of ``sims``.

        ``itm(q, c)`` gives the ITM logits of query ``q`` with gallery
        items ``c``; re-ranked candidates come first.
        """
        results = []
        for q, row in enumerate(sims):
            score = row.clone()
            if self.rerank_k:
                cand = row.topk(min(self.rerank_k, row.numel())).indices
                # the others keep their ITC order, below the candidates
                score = row - 1e4
                score[cand] = itm(q, cand)
            top = score.topk(min(topk, row.numel()))
            results.append([
                dict(index=int(i), score=float(s), similarity=float(row[i]))
                for s, i in zip(top.values, top.indices)
            ])
        return results


class ImageToTextRetrievalInferencer(_RetrievalInferencer):
    """The texts of a gallery that best match each image.

    Args:
        config (str | Config): A retrieval config (``SemMIMRetrieval``).
        checkpoint (str, optional): Weights (a retrieval fine-tune or a
            pre-training checkpoint).
        prototype (str | Sequence[str]): The texts, or a JSON file of them
            (see :func:`load_texts`).
        device (str): Defaults to 'cpu'.
        prototype_batch (int): Texts encoded at once. Defaults to 64.

    Example:
        >>> inferencer = ImageToTextRetrievalInferencer(
        ...     CONFIG, CKPT, prototype=['a red circle', 'a blue star'])
        >>> inferencer('image.png', topk=1)[0]['match'][0]['text']
        'a red circle'
    """

    def __init__(self, config, checkpoint=None,
                 prototype: Union[str, Sequence[str]] = (),
                 device='cpu', prototype_batch: int = 64):
        super().__init__(config, checkpoint, device)
        self.texts = load_texts(prototype)
        if not self.texts:
            raise ValueError('ImageToTextRetrievalInferencer needs texts '
                             '(prototype)')
        self.gallery = self.text_features(self.texts, prototype_batch)

    def __call__(self, images: Union[ImageType, Sequence[ImageType]],
                 topk: int = 5, batch_size: int = 16) -> List[dict]:
        """Returns one dict per image: ``match``, a list of ``topk`` dicts
        with the gallery ``index``, ``text``, ``score`` (ranking score) and
        ``similarity`` (ITC cosine)."""
        images = list_images(images)
        feats = self.image_features(images, batch_size)
        sims = feats['image_feat'] @ self.gallery['text_feat'].t()
        g = self.gallery

        def itm(q, cand):
            return self.model.itm_scores(
                feats['image_embeds'][q:q + 1].expand(len(cand), -1, -1),
                g['text_embeds'][cand], g['text_mask'][cand])

        ranked = self.rank(sims, itm, topk)
        return [
            dict(match=[dict(m, text=self.texts[m['index']]) for m in r])
            for r in ranked
        ]


class TextToImageRetrievalInferencer(_RetrievalInferencer):
    """The images of a gallery that best match each text.

    Args:
        config (str | Config): A retrieval config (``SemMIMRetrieval``).
        checkpoint (str, optional): Weights.
        prototype (str | Sequence): Image files, arrays, or a directory.
        device (str): Defaults to 'cpu'.
        prototype_batch (int): Images encoded at once. Defaults to 64.
    """

    def __init__(self, config, checkpoint=None,
                 prototype: Union[str, Sequence[ImageType]] = (),
                 device='cpu', prototype_batch: int = 64):
        super().__init__(config, checkpoint, device)
        self.images = list_images(prototype)
        if not self.images:
            raise ValueError('TextToImageRetrievalInferencer needs images '
                             '(prototype)')
        self.gallery = self.image_features(self.images, prototype_batch)

    def __call__(self, texts: Union[str, Sequence[str]], topk: int = 5,
                 batch_size: int = 64) -> List[dict]:
        """Returns one dict per text: ``match``, a list of ``topk`` dicts
        with the gallery ``index``, ``image`` (the path when the gallery
        came from files), ``score`` and ``similarity``."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        feats = self.text_features(texts, batch_size)
        sims = feats['text_feat'] @ self.gallery['image_feat'].t()
        g = self.gallery

        def itm(q, cand):
            n = len(cand)
            return self.model.itm_scores(
                g['image_embeds'][cand],
                feats['text_embeds'][q:q + 1].expand(n, -1, -1),
                feats['text_mask'][q:q + 1].expand(n, -1))

        out = []
        for r in self.rank(sims, itm, topk):
            matches = []
            for m in r:
                image = self.images[m['index']]
                matches.append(
                    dict(m, image=image if isinstance(image, str) else None))
            out.append(dict(match=matches))
        return out


__all__ = ['ImageToTextRetrievalInferencer', 'TextToImageRetrievalInferencer',
           'load_texts']
