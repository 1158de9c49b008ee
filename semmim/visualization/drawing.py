"""Small drawing helpers shared by the figures of this package.

Figures are drawn with matplotlib's Agg backend (no display needed) at an
exact pixel size: ``figsize * dpi`` without ``bbox_inches='tight'``, so a
figure's size is a known function of its content (tests rely on it).
"""
import os
import os.path as osp
from typing import Sequence, Tuple

import numpy as np

DPI = 100
#: colour of codes outside the legend (a light neutral grey)
OTHER_COLOR = (0.82, 0.82, 0.82)


def new_figure(width_px: int, height_px: int):
    """A matplotlib figure of exactly ``width_px x height_px`` pixels."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt.figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)


def save_figure(fig, out: str) -> str:
    """Write ``fig`` to ``out`` (PNG; folders created) and close it."""
    import matplotlib.pyplot as plt
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return out


def distinct_colors(n: int) -> np.ndarray:
    """``(n, 3)`` RGB colours in [0, 1], as distinct as practical.

    The first 40 come from matplotlib's qualitative tables (tab20's strong
    colours first, then its light ones and tab20b); beyond that, hues
    spaced by the golden angle.
    """
    from matplotlib import colormaps
    tab20 = colormaps['tab20'].colors
    tab20b = colormaps['tab20b'].colors
    base = list(tab20[0::2]) + list(tab20[1::2]) + list(tab20b)
    colors = [c[:3] for c in base[:n]]
    import colorsys
    i = 0
    while len(colors) < n:
        hue = (i * 0.381966) % 1.0
        colors.append(colorsys.hsv_to_rgb(hue, 0.55 + 0.3 * (i % 2),
                                          0.85 - 0.25 * (i % 3 == 2)))
        i += 1
    return np.asarray(colors[:n], np.float32)


def upsample(grid: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a ``(h, w, ...)`` grid to ``size``
    ``(H, W)`` (any integer ratio or not)."""
    h, w = grid.shape[:2]
    rows = (np.arange(size[0]) * h // size[0]).clip(0, h - 1)
    cols = (np.arange(size[1]) * w // size[1]).clip(0, w - 1)
    return grid[rows][:, cols]


def code_boundaries(codes: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool: pixels on the border between patches of different
    codes (a one-pixel line), for outlining a code map."""
    up = upsample(codes, size)
    edge = np.zeros(size, bool)
    edge[:, 1:] |= up[:, 1:] != up[:, :-1]
    edge[1:, :] |= up[1:, :] != up[:-1, :]
    return edge


def patch_crop(image: np.ndarray, box: Sequence[float],
               context: float, out_size: int,
               pad_value: int = 127) -> np.ndarray:
    """A patch with some context around it, resized to ``out_size``.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB.
        box (Sequence[float]): ``(x0, y0, x1, y1)`` of the patch in pixels.
        context (float): Margin on each side, as a fraction of the patch
            side (0.5: the crop is twice the patch).
        out_size (int): Side of the returned crop.
        pad_value (int): Grey level outside the image. Defaults to 127.

    Returns:
        np.ndarray: ``(out_size, out_size, 3)`` uint8. With context, the
        patch itself is outlined (dark grey, visible on pale backgrounds
        and saturated shapes alike).
    """
    from PIL import Image
    x0, y0, x1, y1 = box
    side = x1 - x0
    margin = context * side
    cx0, cy0 = int(round(x0 - margin)), int(round(y0 - margin))
    cx1, cy1 = int(round(x1 + margin)), int(round(y1 + margin))
    H, W = image.shape[:2]
    crop = np.full((cy1 - cy0, cx1 - cx0, 3), pad_value, np.uint8)
    sx0, sy0, sx1, sy1 = max(cx0, 0), max(cy0, 0), min(cx1, W), min(cy1, H)
    if sx1 > sx0 and sy1 > sy0:
        crop[sy0 - cy0:sy1 - cy0, sx0 - cx0:sx1 - cx0] = \
            image[sy0:sy1, sx0:sx1]
    crop = np.asarray(Image.fromarray(crop).resize(
        (out_size, out_size), Image.NEAREST)).copy()
    scale = out_size / float(cx1 - cx0)
    px0 = int(round((x0 - cx0) * scale))
    py0 = int(round((y0 - cy0) * scale))
    px1 = int(round((x1 - cx0) * scale)) - 1
    py1 = int(round((y1 - cy0) * scale)) - 1
    if context > 0:
        line = np.array([40, 40, 40], np.uint8)
        crop[py0:py1 + 1, [px0, px1]] = line
        crop[[py0, py1], px0:px1 + 1] = line
    return crop


def tile(images: Sequence[np.ndarray], cols: int, gap: int = 2,
         fill: int = 255) -> np.ndarray:
    """Tile equal-size ``(h, w, 3)`` images on a grid of ``cols`` columns
    with ``gap`` pixels between them; empty cells are ``fill``."""
    h, w = images[0].shape[:2]
    rows = max(1, int(np.ceil(len(images) / cols)))
    sheet = np.full((rows * h + (rows - 1) * gap,
                     cols * w + (cols - 1) * gap, 3), fill, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        sheet[r * (h + gap):r * (h + gap) + h,
              c * (w + gap):c * (w + gap) + w] = img
    return sheet
