"""Image-to-text and text-to-image retrieval against a fixed gallery."""
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import default_collate
from mmpretrain.structures import DataSample

from .base import BaseVLInferencer, ImageType, list_images, load_image


def load_texts(source: Union[str, Sequence[str]]) -> List[str]:
    """Texts from a list; from a JSON file holding a list of strings or
    retrieval annotations (``[{"caption": str | [str, ...]}, ...]``); or
    from a text file, one per line (as mmpretrain reads its prototype)."""
    if not isinstance(source, str):
        return list(source)
    if not osp.isfile(source):
        raise FileNotFoundError(f'{source}: file of texts not found')
    if not source.endswith('.json'):
        with open(source, 'r', encoding='utf-8') as f:
            return [line.rstrip('\n') for line in f if line.strip()]
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
    """ITC similarity against the gallery (the prototype), then (when the
    model re-ranks: an ITM head and ``topk > 0``) its ``topk`` best
    candidates re-ranked by the ITM matched-logit, as
    :class:`SemMIMRetrieval` evaluates.

    The gallery's features are computed once, or read from
    ``prototype_cache`` (and written there when the file does not exist),
    as mmpretrain's retrieval inferencers do.
    """

    def __init__(self, model, prototype, prototype_cache=None,
                 prepare_batch_size=64, pretrained=None, device=None,
                 **kwargs):
        super().__init__(model, pretrained, device, **kwargs)
        model = self.model
        self.rerank_k = getattr(model, 'topk', 0) \
            if getattr(model, 'itm_head', None) is not None else 0
        self.image_pipeline = self.build_pipeline()
        self.clean_text = self.text_cleaner()
        self.gallery = self.prepare_prototype(prototype, prototype_cache,
                                              prepare_batch_size)

    def encode_prototype(self, batch_size: int) -> Dict[str, torch.Tensor]:
        raise NotImplementedError

    def prepare_prototype(self, prototype, cache: Optional[str],
                          batch_size: int) -> Dict[str, torch.Tensor]:
        self.load_prototype(prototype)
        if not len(self.prototype):
            raise ValueError(f'{type(self).__name__} needs a prototype '
                             '(the gallery to search)')
        if cache is not None and osp.isfile(cache):
            device = next(self.model.parameters()).device
            gallery = torch.load(cache, map_location=device,
                                 weights_only=True)
            n = len(next(iter(gallery.values())))
            if n != len(self.prototype):
                raise ValueError(f'{cache}: features of {n} items, but the '
                                 f'prototype has {len(self.prototype)}')
            return gallery
        gallery = self.encode_prototype(batch_size)
        if cache is not None:
            self.save_prototype(cache, gallery)
        return gallery

    @staticmethod
    def save_prototype(path: str, gallery: Dict[str, torch.Tensor]):
        """Write the gallery's features (for ``prototype_cache``)."""
        torch.save({k: v.cpu() for k, v in gallery.items()}, path)

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

    def image_features(self, images: Sequence[ImageType], batch_size: int,
                       description: str = 'Encoding images'
                       ) -> Dict[str, torch.Tensor]:
        parts: Dict[str, list] = {}
        for chunk in self.track(self.batches(images, batch_size),
                                len(images), description):
            data = default_collate(
                [self.image_pipeline(self.sample(img)) for img in chunk])
            data['data_samples'] = None
            for k, v in self.extract(data).items():
                parts.setdefault(k, []).append(v)
        return {k: torch.cat(v) for k, v in parts.items()}

    def text_features(self, texts: Sequence[str], batch_size: int,
                      description: str = 'Encoding texts'
                      ) -> Dict[str, torch.Tensor]:
        parts: Dict[str, list] = {}
        for chunk in self.track(self.batches(texts, batch_size),
                                len(texts), description):
            samples = [DataSample(text=self.clean_text(t)) for t in chunk]
            for k, v in self.extract(dict(data_samples=samples)).items():
                parts.setdefault(k, []).append(v)
        return {k: torch.cat(v) for k, v in parts.items()}

    def rank(self, sims: torch.Tensor, itm: Callable) -> torch.Tensor:
        """The ranking score of every gallery item for each query row of
        ``sims``: the ITM logit for the ``rerank_k`` most similar items
        (``itm(q, c)`` gives query ``q``'s logits with items ``c``), the
        others below them in ITC order (their similarity, shifted)."""
        if not self.rerank_k:
            return sims.clone()
        scores = sims.clone()
        for q, row in enumerate(sims):
            cand = row.topk(min(self.rerank_k, row.numel())).indices
            logits = itm(q, cand).to(scores.dtype)
            rest = torch.ones_like(row, dtype=torch.bool)
            rest[cand] = False
            if rest.any():
                scores[q] += logits.min() - row[rest].max() - 1
            scores[q, cand] = logits
        return scores

    def matches(self, scores: torch.Tensor, sims: torch.Tensor,
                topk: int) -> List[List[dict]]:
        """mmpretrain's form: per query, the ``topk`` best gallery items
        as ``dict(match_score, sample_idx, similarity, **item)``."""
        results = []
        for score, sim in zip(scores, sims):
            top = score.topk(min(topk, score.numel()))
            results.append([
                dict(match_score=float(s), sample_idx=int(i),
                     similarity=float(sim[i]), **self.item(int(i)))
                for s, i in zip(top.values, top.indices)
            ])
        return results


class ImageToTextRetrievalInferencer(_RetrievalInferencer):
    """The texts of a gallery that best match each image.

    Args:
        model (str | Config | BaseModel): A retrieval model's name (see
            ``ImageToTextRetrievalInferencer.list_models()``), config file
            or config (``SemMIMRetrieval``), or a model from
            :func:`semmim.apis.get_model`.
        prototype (str | Sequence[str]): The texts, or a JSON file of them
            (see :func:`load_texts`).
        prototype_cache (str, optional): A file of the texts' features:
            read when it exists, else written.
        prepare_batch_size (int): Texts encoded at once. Defaults to 64.
        pretrained (str, optional): Weights (a retrieval fine-tune or a
            pre-training checkpoint).
        device (str, optional): Defaults to CUDA when available.

    Example:
        >>> inferencer = ImageToTextRetrievalInferencer(
        ...     'semmim-retrieval_small_1xb64_shapes-vl',
        ...     prototype=['a red circle', 'a blue star'],
        ...     pretrained='retrieval.pth')
        >>> inferencer('image.png', topk=1)[0]
        [{'match_score': 3.1, 'sample_idx': 0, 'similarity': 0.52,
          'text': 'a red circle'}]
    """
    task = 'Image-To-Text Retrieval'

    def load_prototype(self, prototype):
        self.prototype = load_texts(prototype)

    def encode_prototype(self, batch_size):
        return self.text_features(self.prototype, batch_size,
                                  'Preparing the prototype')

    def item(self, index: int) -> dict:
        return dict(text=self.prototype[index])

    @property
    def texts(self) -> List[str]:
        return self.prototype

    def __call__(self,
                 images: Union[ImageType, Sequence[ImageType]],
                 return_datasamples: bool = False,
                 batch_size: int = 16,
                 topk: int = 5,
                 show_dir: Optional[str] = None,
                 show: bool = False,
                 resize: Optional[int] = 224,
                 draw_score: bool = True) -> list:
        """Returns, per image (a directory means its image files), a list
        of ``topk`` dicts: ``match_score`` (the ranking score: the ITM
        logit for re-ranked items, else the ITC similarity),
        ``sample_idx`` (the text's index in the prototype), ``text`` and
        ``similarity`` (ITC cosine). ``show_dir`` saves each image with
        its texts; ``return_datasamples`` gives data samples with the
        ``pred_score`` of every text."""
        images = list_images(images)
        feats = self.image_features(images, batch_size)
        sims = feats['image_feat'] @ self.gallery['text_feat'].t()
        g = self.gallery

        def itm(q, cand):
            return self.model.itm_scores(
                feats['image_embeds'][q:q + 1].expand(len(cand), -1, -1),
                g['text_embeds'][cand], g['text_mask'][cand])

        scores = self.rank(sims, itm)
        samples = [DataSample(pred_score=s) for s in scores]
        for i, (image, sample) in enumerate(zip(images, samples)):
            if show_dir is None and not show:
                break
            self.draw('visualize_i2t_retrieval', show_dir, show,
                      self.image_name(image, i),
                      load_image(image)[..., ::-1], sample, self.prototype,
                      topk=min(topk, len(self.prototype)), resize=resize,
                      draw_score=draw_score)
        if return_datasamples:
            return samples
        return self.matches(scores, sims, topk)


class _Gallery:
    """Gallery images as mmpretrain's visualizer reads a dataset."""

    def __init__(self, images: Sequence[ImageType]):
        self.images = images

    def get_data_info(self, index: int) -> dict:
        image = self.images[index]
        return dict(img_path=image if isinstance(image, (str, np.ndarray))
                    else load_image(image))


class TextToImageRetrievalInferencer(_RetrievalInferencer):
    """The images of a gallery that best match each text.

    Args:
        model (str | Config | BaseModel): A retrieval model's name, config
            file or config (``SemMIMRetrieval``), or a model from
            :func:`semmim.apis.get_model`.
        prototype (str | Sequence): Image files, arrays, or a directory.
        prototype_cache (str, optional): A file of the images' features:
            read when it exists, else written.
        prepare_batch_size (int): Images encoded at once. Defaults to 64.
        pretrained (str, optional): Weights.
        device (str, optional): Defaults to CUDA when available.

    Example:
        >>> inferencer = TextToImageRetrievalInferencer(
        ...     'semmim-retrieval_small_1xb64_shapes-vl',
        ...     prototype='data/shapes_vl/images/test',
        ...     pretrained='retrieval.pth')
        >>> inferencer('a large red circle', topk=1)[0]
        [{'match_score': 2.7, 'sample_idx': 41, 'similarity': 0.48,
          'sample': {'img_path': 'data/shapes_vl/images/test/000041.png'}}]
    """
    task = 'Text-To-Image Retrieval'

    def load_prototype(self, prototype):
        self.prototype = list_images(prototype)

    def encode_prototype(self, batch_size):
        return self.image_features(self.prototype, batch_size,
                                   'Preparing the prototype')

    def item(self, index: int) -> dict:
        image = self.prototype[index]
        return dict(sample=dict(img_path=image) if isinstance(image, str)
                    else {})

    @property
    def images(self) -> list:
        return self.prototype

    def __call__(self,
                 texts: Union[str, Sequence[str]],
                 return_datasamples: bool = False,
                 batch_size: int = 64,
                 topk: int = 5,
                 show_dir: Optional[str] = None,
                 show: bool = False,
                 draw_score: bool = True,
                 figsize=(16, 9)) -> list:
        """Returns, per text, a list of ``topk`` dicts: ``match_score``
        (the ranking score), ``sample_idx`` (the image's index in the
        prototype), ``sample`` (``img_path`` when the gallery came from
        files) and ``similarity`` (ITC cosine). ``show_dir`` saves each
        text with its images (``<i>.png``)."""
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

        scores = self.rank(sims, itm)
        samples = [DataSample(pred_score=s) for s in scores]
        for i, (text, sample) in enumerate(zip(texts, samples)):
            if show_dir is None and not show:
                break
            self.draw('visualize_t2i_retrieval', show_dir, show, str(i),
                      text, sample, _Gallery(self.prototype),
                      topk=min(topk, len(self.prototype)),
                      draw_score=draw_score, fig_cfg=dict(figsize=figsize))
        if return_datasamples:
            return samples
        return self.matches(scores, sims, topk)


__all__ = ['ImageToTextRetrievalInferencer', 'TextToImageRetrievalInferencer',
           'load_texts']
