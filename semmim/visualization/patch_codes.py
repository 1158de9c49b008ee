"""Patch codes of the momentum encoder (paper Section 4.5).

SemMIM's reconstruction targets are the momentum encoder's code
distributions over ``K`` codes for each patch (``H^_I(E^_I(I))``). Giving
each patch its arg-max code turns an image into a ``h x w`` map of
discrete "patterns"; this module computes those maps (and loads images for
them) so that the drawing and purity modules can share one encoding pass.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

ImageLike = Union[str, np.ndarray]


@dataclass
class PatchCodes:
    """Arg-max codes of the patches of a set of images.

    Attributes:
        codes (np.ndarray): ``(B, h, w)`` int64 code of each patch.
        confidence (np.ndarray): ``(B, h, w)`` float32 probability of that
            code under the teacher's distribution (centred logits at the
            teacher temperature, as in the L_patch targets).
        num_codes (int): ``K``.
    """
    codes: np.ndarray
    confidence: np.ndarray
    num_codes: int

    @property
    def grid(self) -> Tuple[int, int]:
        """``(h, w)`` patches per image."""
        return tuple(self.codes.shape[1:])

    def counts(self) -> np.ndarray:
        """``(K,)`` number of patches assigned to each code."""
        return np.bincount(self.codes.ravel(), minlength=self.num_codes)

    def top_codes(self, n: Optional[int] = None) -> np.ndarray:
        """Codes by decreasing use (ties by code id); unused codes left out.

        Args:
            n (int, optional): Keep the first ``n``. Defaults to all used.
        """
        counts = self.counts()
        order = np.lexsort((np.arange(len(counts)), -counts))
        order = order[counts[order] > 0]
        return order if n is None else order[:n]


def image_size_of(model) -> int:
    """Side in pixels of the images ``model``'s image encoder expects."""
    backbone = _momentum_vision(model)['backbone']
    patch = backbone.patch_embed.projection.kernel_size[0]
    return backbone.patch_resolution[0] * patch


def patch_size_of(model) -> int:
    """Side in pixels of one patch of ``model``'s image encoder."""
    backbone = _momentum_vision(model)['backbone']
    return backbone.patch_embed.projection.kernel_size[0]


def load_images(images: Sequence[ImageLike], size: int
                ) -> Tuple[torch.Tensor, List[np.ndarray]]:
    """Read images and resize them as the test pipelines do.

    Args:
        images (Sequence[str | np.ndarray]): Paths or BGR ``(H, W, 3)``
            uint8 arrays (mmcv's convention).
        size (int): Model input side; images are resized (bicubic, no
            aspect ratio kept) to ``size x size``.

    Returns:
        tuple: ``(batch, originals)``: a uint8 BGR tensor
        ``(B, 3, size, size)`` for ``data_preprocessor.normalize``, and the
        images at their own resolution as RGB ``(H, W, 3)`` arrays (for
        drawing).
    """
    from PIL import Image

    from semmim.apis.base import load_image
    batch, originals = [], []
    for image in images:
        bgr = load_image(image)
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        originals.append(rgb)
        # PIL bicubic, as the 'Resize' step of the test pipelines
        resized = np.asarray(
            Image.fromarray(rgb).resize((size, size), Image.BICUBIC))
        batch.append(torch.from_numpy(
            np.ascontiguousarray(resized[..., ::-1])).permute(2, 0, 1))
    return torch.stack(batch), originals


def _momentum_vision(model):
    momentum = getattr(model, 'momentum_vision', None)
    if momentum is None:
        raise ValueError(f'{type(model).__name__} has no momentum image '
                         'encoder (momentum_vision): patch codes come from '
                         'a SemMIM pre-training model')
    return momentum.module


def _center(model) -> Optional[torch.Tensor]:
    """The L_patch teacher centre ``c_patch`` ``(1, K)``, if any."""
    head = getattr(model, 'mim_head', None)
    center = getattr(head, 'center', None)
    return None if center is None else center.center


def _teacher_temp(model) -> float:
    head = getattr(model, 'mim_head', None)
    temp = getattr(head, 'teacher_temp', None)
    return 0.07 if temp is None else float(temp)


def model_batches(model, images: torch.Tensor, batch_size: int = 64):
    """Yield ``images`` in chunks of ``batch_size``, normalised by the
    model's data preprocessor when uint8 (BGR, as :func:`load_images`
    returns) and moved to its device."""
    preprocessor = model.data_preprocessor
    for start in range(0, images.shape[0], batch_size):
        x = images[start:start + batch_size]
        if x.dtype == torch.uint8:
            x = preprocessor.normalize(x)
        yield x.to(preprocessor.device)


@torch.no_grad()
def encode_patch_codes(model,
                       images: torch.Tensor,
                       text_ids: Optional[torch.Tensor] = None,
                       text_mask: Optional[torch.Tensor] = None,
                       centered: bool = True,
                       batch_size: int = 64) -> PatchCodes:
    """Arg-max code of every patch under the momentum encoder and head.

    Args:
        model (SemMIM): A pre-training model with ``momentum_vision``
            (backbone ``E^_I`` and encoding head ``H^_I``).
        images (Tensor): ``(B, 3, H, W)`` uint8 BGR (as :func:`load_images`
            returns; normalised here) or already normalised float images.
        text_ids, text_mask (Tensor, optional): ``(B, L)`` tokenised
            captions. When given (and the backbone injects text), the last
            layers see the caption, as when L_patch targets are made;
            otherwise the pass is visual-only, as the masking features and
            the [CLS] target are.
        centered (bool): Subtract the L_patch teacher centre ``c_patch``
            before the arg-max, as the training targets do. The centre
            lowers codes that are frequent over the whole data, so the
            centred arg-max is the code the target distribution peaks on.
            Defaults to True.
        batch_size (int): Images per forward pass. Defaults to 64.

    Returns:
        PatchCodes: codes and confidences ``(B, h, w)``.
    """
    vision = _momentum_vision(model)
    backbone, head = vision['backbone'], vision['head']
    center = _center(model) if centered else None
    temp = _teacher_temp(model)
    n_text = backbone.num_text_layers if text_ids is not None else 0
    codes, confidence = [], []
    for start, x in zip(range(0, images.shape[0], batch_size),
                        model_batches(model, images, batch_size)):
        if n_text:
            ids = text_ids[start:start + batch_size]
            mask = text_mask[start:start + batch_size]
            text = model.text_encoder(ids, mask)
            trunk = backbone.forward_trunk(x, num_head_layers=n_text)
            tokens = backbone.forward_head_layers(
                trunk, text=text, text_mask=mask, num_head_layers=n_text)
        else:
            tokens = backbone(x)[0]
        logits = head(tokens[:, 1:]).float()
        if center is not None:
            logits = logits - center
        prob = F.softmax(logits / temp, dim=-1)
        best, code = prob.max(dim=-1)
        codes.append(code.cpu())
        confidence.append(best.cpu())
    h, w = backbone.patch_resolution
    codes = torch.cat(codes).reshape(-1, h, w).numpy()
    confidence = torch.cat(confidence).reshape(-1, h, w).numpy()
    return PatchCodes(codes, confidence, head.num_codes)


def patch_pixels(images: torch.Tensor, patch_size: int) -> np.ndarray:
    """Raw RGB pixels of each patch, for the k-means baseline.

    Args:
        images (Tensor): ``(B, 3, H, W)`` uint8 BGR model inputs.
        patch_size (int): Patch side ``p``.

    Returns:
        np.ndarray: ``(B, h, w, p * p * 3)`` float32 in [0, 1], RGB.
    """
    x = images.flip(1).float() / 255.
    B, C, H, W = x.shape
    h, w = H // patch_size, W // patch_size
    x = x.reshape(B, C, h, patch_size, w, patch_size)
    x = x.permute(0, 2, 4, 3, 5, 1).reshape(B, h, w, -1)
    return x.numpy()


def encode_samples(model,
                   samples: Sequence[dict],
                   with_caption: bool = False,
                   centered: bool = True,
                   min_fraction: float = 0.5,
                   batch_size: int = 64) -> dict:
    """Load, encode and (on Shapes-VL) label a list of samples.

    Args:
        model (SemMIM): Pre-training model.
        samples (Sequence[dict]): From :mod:`semmim.visualization.samples`.
        with_caption (bool): Inject each image's first caption into the
            momentum encoder's last layers (as for the L_patch targets).
            Defaults to False (visual only).
        centered (bool): See :func:`encode_patch_codes`. Defaults to True.
        min_fraction (float): See
            :func:`semmim.visualization.code_purity.patch_labels`.
        batch_size (int): Images per forward pass.

    Returns:
        dict: ``images`` (uint8 model inputs), ``originals`` (RGB arrays),
        ``codes`` (:class:`PatchCodes`), ``labels`` (``{space: (B, h, w)}``
        or None without scenes), ``captions`` (first caption or '').
    """
    from .code_purity import scene_labels
    images, originals = load_images([s['image'] for s in samples],
                                    image_size_of(model))
    captions = [s['captions'][0] if s.get('captions') else ''
                for s in samples]
    text = {}
    if with_caption:
        if not all(captions):
            raise ValueError('with_caption needs a caption for every image')
        tokens = model.data_preprocessor.tokenize(captions)
        text = dict(text_ids=tokens['ids'], text_mask=tokens['mask'])
    codes = encode_patch_codes(model, images, centered=centered,
                               batch_size=batch_size, **text)
    labels = None
    if all(s.get('scene') for s in samples):
        labels = scene_labels([s['scene'] for s in samples], codes.grid[0],
                              min_fraction)
    return dict(images=images, originals=originals, codes=codes,
                labels=labels, captions=captions)


@torch.no_grad()
def patch_features(model, images: torch.Tensor,
                   batch_size: int = 64) -> dict:
    """Patch features of every layer of both image encoders (visual only).

    For diagnosing codes (``code_purity.py --probe``): when the arg-max
    codes do not separate what the image shows, clustering these features
    tells whether the encoder knows it and the code assignment loses it,
    or the encoder does not know it.

    Args:
        model (SemMIM): Pre-training model.
        images (Tensor): ``(B, 3, H, W)`` uint8 BGR model inputs.
        batch_size (int): Images per forward pass.

    Returns:
        dict: ``{'<momentum|online> <where>': (B, h, w, C) float32}`` for
        every layer's output (``layer 1`` ...), the final LayerNorm
        (``final``) and the encoding head's L2-normalised bottleneck
        (``head bottleneck``).
    """
    momentum = _momentum_vision(model)
    encoders = dict(momentum=(momentum['backbone'], momentum['head']),
                    online=(model.vision_backbone,
                            getattr(model, 'encoding_head', None)))
    out = {}
    for x in model_batches(model, images, batch_size):
        for tag, (backbone, head) in encoders.items():
            feats = {}

            def keep(name):
                def hook(module, args, output):
                    feats[name] = output[:, 1:]
                return hook

            handles = [layer.register_forward_hook(keep(f'{tag} layer {i}'))
                       for i, layer in enumerate(backbone.layers, 1)]
            try:
                final = backbone(x)[0][:, 1:]
            finally:
                for handle in handles:
                    handle.remove()
            feats[f'{tag} final'] = final
            if head is not None:
                feats[f'{tag} head bottleneck'] = F.normalize(
                    head.mlp(final), dim=-1)
            for key, value in feats.items():
                out.setdefault(key, []).append(value.float().cpu())
    h, w = _momentum_vision(model)['backbone'].patch_resolution
    return {k: torch.cat(v).reshape(-1, h, w, v[0].shape[-1]).numpy()
            for k, v in out.items()}
