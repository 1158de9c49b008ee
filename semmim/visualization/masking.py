"""Text-guided masking seen on one image and caption.

SemMIM masks the patches a caption talks about more often
(docs/design.md#text-guided-masking): patch ``i`` is
drawn with probability ``p_i = softmax_i(S_i / tau_m)``, where ``S_i`` is
the model's patch-text similarity (``SemMIM.mask_similarity``: the cosine
of ITC projections, or the momentum fusion encoder's cross-attention
logit). :func:`masking_maps` recomputes exactly those inputs and draws
both a text-guided and a random mask of the same ratio;
:func:`draw_masking` shows them beside the heat map of ``p``.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .drawing import new_figure, save_figure, upsample
from .patch_codes import _momentum_vision


@torch.no_grad()
def masking_maps(model,
                 images: torch.Tensor,
                 captions: Sequence[str],
                 seed: int = 0,
                 temperature: Optional[float] = None
                 ) -> Dict[str, np.ndarray]:
    """Patch-text probabilities and the masks drawn from them.

    Args:
        model (SemMIM): Pre-training model with a ``mask_generator``.
        images (Tensor): ``(B, 3, H, W)`` uint8 BGR (see
            :func:`~semmim.visualization.patch_codes.load_images`) or
            normalised float images.
        captions (Sequence[str]): One caption per image.
        seed (int): Seed of both masks. Defaults to 0.
        temperature (float, optional): tau_m to use instead of the
            model's (to preview a sharper or flatter masking).

    Returns:
        dict: ``prob`` ``(B, h, w)`` float, the text-guided sampling
        distribution of the first masked patch (sums to 1 per image);
        ``similarity`` ``(B, h, w)`` the S_i behind it; ``text_guided``
        and ``random`` ``(B, h, w)`` bool masks with the generator's
        ``M = round(mask_ratio * N)`` patches each; ``mask_ratio`` and
        ``temperature``.
    """
    from semmim.models.utils.mask_generator import TextGuidedMaskGenerator
    generator = getattr(model, 'mask_generator', None)
    if generator is None:
        raise ValueError(f'{type(model).__name__} has no mask generator '
                         '(a SemMIM model without MIM?)')
    if len(captions) != images.shape[0]:
        raise ValueError(f'{images.shape[0]} images but {len(captions)} '
                         'captions')
    from .masking_fidelity import mask_similarity
    preprocessor = model.data_preprocessor
    x = preprocessor.normalize(images) if images.dtype == torch.uint8 \
        else images.to(preprocessor.device)
    backbone = _momentum_vision(model)['backbone']
    sim = mask_similarity(model, x, captions)
    # whatever the model's own masking mode, show the text-guided one with
    # its ratio and temperature, next to a random one
    temperature = temperature or generator.temperature
    guided = TextGuidedMaskGenerator(
        mask_ratio=generator.mask_ratio, masking='text_guided',
        temperature=temperature)
    random = TextGuidedMaskGenerator(
        mask_ratio=generator.mask_ratio, masking='random')
    g = torch.Generator(device=sim.device).manual_seed(seed)
    text_mask = guided(similarity=sim, generator=g)
    random_mask = random(similarity=sim, generator=g)
    h, w = backbone.patch_resolution
    B = images.shape[0]

    def grid(t):
        return t.reshape(B, h, w).cpu().numpy()

    return dict(prob=grid(guided.probabilities(similarity=sim)),
                similarity=grid(sim), text_guided=grid(text_mask),
                random=grid(random_mask), mask_ratio=generator.mask_ratio,
                temperature=temperature)


def object_share(masks: np.ndarray, is_object: np.ndarray) -> float:
    """Fraction of the masked patches that lie on objects (all images).

    Args:
        masks (np.ndarray): ``(B, h, w)`` bool.
        is_object (np.ndarray): ``(B, h, w)`` bool ground truth.
    """
    masks = np.asarray(masks, bool)
    n = masks.sum()
    return float((masks & np.asarray(is_object, bool)).sum() / n) if n \
        else float('nan')


def masking_stats(maps: Dict[str, np.ndarray],
                  is_object: np.ndarray) -> Dict[str, float]:
    """How much the masks and the distribution favour object patches.

    Returns:
        dict: ``object_patches`` (share of patches on objects: what a
        uniform choice hits), ``prob_on_objects`` (mean probability mass
        of ``p`` on object patches), ``text_guided_on_objects`` and
        ``random_on_objects`` (share of masked patches on objects).
    """
    is_object = np.asarray(is_object, bool)
    prob = np.asarray(maps['prob'])
    return dict(
        object_patches=float(is_object.mean()),
        prob_on_objects=float((prob * is_object).sum((1, 2)).mean()),
        text_guided_on_objects=object_share(maps['text_guided'], is_object),
        random_on_objects=object_share(maps['random'], is_object))


CELL = 170
PAD = 12
CAPTION_PX = 44
TITLE_PX = 48


def masking_figure_size(num_images: int) -> tuple:
    """``(width, height)`` in pixels of :func:`draw_masking`."""
    width = 4 * CELL + 5 * PAD + 60
    height = TITLE_PX + num_images * (CELL + CAPTION_PX + PAD) + PAD
    return width, height


def draw_masking(originals: Sequence[np.ndarray],
                 captions: Sequence[str],
                 maps: Dict[str, np.ndarray],
                 out: str,
                 is_object: Optional[np.ndarray] = None,
                 title: str = '') -> str:
    """Write image | heat map of ``p`` | text-guided mask | random mask.

    The heat map spans each image's own range of ``p`` (its minimum and
    maximum relative to uniform, ``p * N``, are written under it): with
    the default tau_m = 1 the distribution is nearly flat, and a shared
    scale would show nothing of where the caption points.

    Args:
        originals (Sequence[np.ndarray]): ``B`` RGB images ``(H, W, 3)``.
        captions (Sequence[str]): The caption of each row.
        maps (dict): From :func:`masking_maps`.
        out (str): PNG path.
        is_object (np.ndarray, optional): ``(B, h, w)`` bool ground truth;
            when given, each mask's title says how many masked patches lie
            on objects.
        title (str): Figure title.

    Returns:
        str: ``out``; the size is :func:`masking_figure_size`.
    """
    from matplotlib import colormaps
    B = len(originals)
    width, height = masking_figure_size(B)
    fig = new_figure(width, height)
    cmap = colormaps['inferno']
    n = maps['prob'][0].size
    ratio = maps['mask_ratio']
    for b, image in enumerate(originals):
        size = image.shape[:2]
        rel = maps['prob'][b] * n  # 1 = uniform
        span = max(float(rel.max() - rel.min()), 1e-12)
        heat = cmap(upsample((rel - rel.min()) / span, size))[..., :3]
        grey = image.mean(-1, keepdims=True) / 255.
        heat_img = 0.3 * grey + 0.7 * heat
        panels = [image / 255., heat_img]
        notes = ['', f'p x N from {rel.min():.2f} to {rel.max():.2f}']
        for key in ('text_guided', 'random'):
            m = upsample(maps[key][b], size)[..., None]
            shaded = np.where(m, 0.25 + 0.15 * image / 255., image / 255.)
            panels.append(shaded)
            note = f'{int(maps[key][b].sum())} of {n} masked'
            if is_object is not None:
                hit = int((maps[key][b] & is_object[b]).sum())
                note += f', {hit} on objects'
            notes.append(note)
        y = TITLE_PX + b * (CELL + CAPTION_PX + PAD)
        heads = ('image', f'p(patch | text), tau_m={maps["temperature"]:g}',
                 f'text-guided mask ({100 * ratio:.0f}%)',
                 f'random mask ({100 * ratio:.0f}%)')
        for j, panel in enumerate(panels):
            x = PAD + j * (CELL + PAD)
            ax = fig.add_axes([x / width, 1 - (y + CELL) / height,
                               CELL / width, CELL / height])
            ax.imshow(panel, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if b == 0:
                ax.set_title(heads[j], fontsize=9)
            if notes[j]:
                ax.set_xlabel(notes[j], fontsize=7, labelpad=2)
        fig.text(PAD / width, 1 - (y + CELL + 16) / height,
                 _wrap(captions[b], 120), fontsize=7.5, va='top',
                 ha='left', style='italic')
    cax = fig.add_axes([(4 * CELL + 5 * PAD + 8) / width,
                        1 - (TITLE_PX + CELL) / height, 12 / width,
                        CELL / height])
    import matplotlib as mpl
    bar = mpl.colorbar.ColorbarBase(
        cax, cmap=cmap, norm=mpl.colors.Normalize(0, 1))
    bar.set_ticks([0, 1])
    bar.set_ticklabels(['min', 'max'])
    cax.tick_params(labelsize=7)
    fig.text(0.5, 1 - 6 / height,
             title or 'text-guided masking: where the caption points',
             fontsize=10, ha='center', va='top')
    return save_figure(fig, out)


def _wrap(text: str, n: int) -> str:
    import textwrap
    lines: List[str] = textwrap.wrap(text, n)[:2]
    return '\n'.join(lines)
