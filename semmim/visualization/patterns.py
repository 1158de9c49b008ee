"""Pattern clusters and pattern layouts of patch codes (paper Figs. 2-3).

* :func:`draw_pattern_clusters` (Fig. 2): for the most used codes, a grid
  of the patches assigned to each, cropped with some context around them
  (the patch itself outlined), so one can see what a code "means".
* :func:`draw_pattern_layout` (Fig. 3): full images next to their patch
  code maps (one colour per code) and an overlay with the outlines between
  codes, plus a legend of the most frequent codes.
"""
from typing import Dict, Optional, Sequence

import numpy as np

from .drawing import (code_boundaries, distinct_colors, new_figure,
                      patch_crop, save_figure, tile, upsample)
from .patch_codes import PatchCodes

GAP = 2          # pixels between crops inside a panel
PANEL_PAD = 14   # pixels around panels
TITLE_PX = 34    # two lines of panel title


def patch_box(index: Sequence[int], grid: Sequence[int],
              image_shape: Sequence[int]) -> tuple:
    """``(x0, y0, x1, y1)`` of patch ``(row, col)`` of a ``(h, w)`` grid in
    an image of shape ``(H, W, ...)`` (the grid scaled to the image)."""
    (r, c), (h, w) = index, grid
    H, W = image_shape[:2]
    return (c * W / w, r * H / h, (c + 1) * W / w, (r + 1) * H / h)


def pick_patches(codes: PatchCodes, code: int, n: int, pick: str = 'random',
                 seed: int = 0) -> np.ndarray:
    """``(m, 3)`` indices ``(image, row, col)`` of up to ``n`` patches of
    ``code``: a seeded random sample (``'random'``, shows a typical member)
    or the most confident ones (``'confident'``, shows the prototype)."""
    where = np.argwhere(codes.codes == code)
    if len(where) <= n:
        return where
    if pick == 'confident':
        conf = codes.confidence[tuple(where.T)]
        return where[np.argsort(-conf, kind='stable')[:n]]
    if pick != 'random':
        raise ValueError(f"pick must be 'random' or 'confident', got {pick!r}")
    rng = np.random.default_rng(seed + int(code))
    return where[np.sort(rng.choice(len(where), n, replace=False))]


def cluster_sheet_size(num_panels: int, per_code: int, crop_size: int,
                       panel_cols: int) -> tuple:
    """``(width, height)`` in pixels of :func:`draw_pattern_clusters`."""
    side = int(np.ceil(np.sqrt(per_code)))
    panel = side * crop_size + (side - 1) * GAP
    cols = max(1, min(panel_cols, num_panels))
    rows = max(1, int(np.ceil(num_panels / cols)))
    width = cols * panel + (cols + 1) * PANEL_PAD
    height = rows * (panel + TITLE_PX) + (rows + 1) * PANEL_PAD + 24
    return width, height


def draw_pattern_clusters(originals: Sequence[np.ndarray],
                          codes: PatchCodes,
                          out: str,
                          num_codes: int = 8,
                          per_code: int = 16,
                          pick: str = 'random',
                          context: float = 0.5,
                          crop_size: int = 48,
                          panel_cols: int = 4,
                          code_notes: Optional[Dict[int, str]] = None,
                          show: Optional[Sequence[int]] = None,
                          title: str = '',
                          seed: int = 0) -> str:
    """Write a sheet of the patches of the most used codes (Fig. 2).

    Args:
        originals (Sequence[np.ndarray]): ``B`` RGB images ``(H, W, 3)``
            (any resolution; patches are cut from them at the grid's
            position, so they look sharp when the model input is smaller).
        codes (PatchCodes): Codes of the same images.
        out (str): PNG path.
        num_codes (int): Panels, one per code, most used first.
            Defaults to 8 (as Fig. 2).
        per_code (int): Patches per panel. Defaults to 16.
        pick (str): 'random' or 'confident' (see :func:`pick_patches`).
        context (float): Margin around a patch, in patch sides.
            Defaults to 0.5.
        crop_size (int): Side of one crop in the sheet. Defaults to 48.
        panel_cols (int): Panels per row. Defaults to 4.
        code_notes (dict, optional): ``{code: text}`` second title line
            of a panel (e.g. the code's majority label).
        show (Sequence[int], optional): The codes to show, in order,
            instead of the ``num_codes`` most used.
        title (str): Figure title.
        seed (int): Seed of the random pick.

    Returns:
        str: ``out``. The size is :func:`cluster_sheet_size`.
    """
    if len(originals) != codes.codes.shape[0]:
        raise ValueError(f'{len(originals)} images but codes for '
                         f'{codes.codes.shape[0]}')
    top = codes.top_codes(num_codes) if show is None else \
        np.asarray(show, np.int64)
    if len(top) == 0:
        raise ValueError('no codes to show')
    counts = codes.counts()
    total = codes.codes.size
    width, height = cluster_sheet_size(len(top), per_code, crop_size,
                                       panel_cols)
    fig = new_figure(width, height)
    side = int(np.ceil(np.sqrt(per_code)))
    panel = side * crop_size + (side - 1) * GAP
    cols = max(1, min(panel_cols, len(top)))
    for i, code in enumerate(top):
        crops = []
        for b, r, c in pick_patches(codes, code, per_code, pick, seed):
            box = patch_box((r, c), codes.grid, originals[b].shape)
            crops.append(patch_crop(originals[b], box, context, crop_size))
        sheet = tile(crops, side, GAP)
        row, col = divmod(i, cols)
        x = PANEL_PAD + col * (panel + PANEL_PAD)
        y = 24 + PANEL_PAD + row * (panel + TITLE_PX + PANEL_PAD) + TITLE_PX
        ax = fig.add_axes([x / width, 1 - (y + sheet.shape[0]) / height,
                           sheet.shape[1] / width, sheet.shape[0] / height])
        ax.imshow(sheet, interpolation='nearest')
        ax.set_axis_off()
        note = (code_notes or {}).get(int(code), '')
        fig.text((x + 1) / width, 1 - (y - TITLE_PX + 3) / height,
                 f'code {code}: {counts[code]} '
                 f'({100 * counts[code] / total:.1f}%)',
                 fontsize=8.5, va='top', ha='left', weight='bold')
        if note:
            fig.text((x + 1) / width, 1 - (y - TITLE_PX + 17) / height,
                     note, fontsize=8, va='top', ha='left', color='0.25')
    used = int((counts > 0).sum())
    fig.text(0.5, 1 - 6 / height,
             title or f'pattern clusters: {len(top)} of {used} codes used '
             f'({total} patches; {pick} members of each)',
             fontsize=10, ha='center', va='top')
    return save_figure(fig, out)


def code_colors(codes: np.ndarray, order: Optional[Sequence[int]] = None
                ) -> Dict[int, np.ndarray]:
    """``{code: RGB}``: a distinct colour for each code present, the most
    frequent first (or in ``order``) so that big regions get the clearest
    colours."""
    if order is None:
        values, n = np.unique(codes, return_counts=True)
        order = values[np.lexsort((values, -n))]
    present = set(np.unique(codes).tolist())
    order = [int(k) for k in order if int(k) in present]
    order += sorted(present - set(order))
    colors = distinct_colors(len(order))
    return {k: colors[i] for i, k in enumerate(order)}


def code_map_image(codes: np.ndarray, colors: Dict[int, np.ndarray],
                   size: Sequence[int]) -> np.ndarray:
    """``(H, W, 3)`` float RGB image of a ``(h, w)`` code map."""
    table = np.stack([colors[int(k)] for k in codes.ravel()])
    return upsample(table.reshape(codes.shape + (3,)), tuple(size))


LAYOUT_CELL = 180
LAYOUT_TITLE = 30
LEGEND_PX = 230


def layout_size(num_images: int) -> tuple:
    """``(width, height)`` in pixels of :func:`draw_pattern_layout`."""
    width = 3 * LAYOUT_CELL + 4 * PANEL_PAD + LEGEND_PX
    rows = num_images * (LAYOUT_CELL + LAYOUT_TITLE) + \
        (num_images + 1) * PANEL_PAD + 24
    return width, max(rows, 24 + 2 * PANEL_PAD + 14 * 18 + 40)


def draw_pattern_layout(originals: Sequence[np.ndarray],
                        codes: PatchCodes,
                        out: str,
                        legend: int = 12,
                        code_notes: Optional[Dict[int, str]] = None,
                        captions: Optional[Sequence[str]] = None,
                        order: Optional[Sequence[int]] = None,
                        title: str = '') -> str:
    """Write full images beside their patch code maps (Fig. 3).

    Each row: the image, its code map (one colour per code), and the image
    under the colours with black outlines where neighbouring patches have
    different codes. Colours are shared by all rows; the legend shows the
    ``legend`` most frequent codes of these images.

    Args:
        originals (Sequence[np.ndarray]): ``B`` RGB images ``(H, W, 3)``.
        codes (PatchCodes): Codes of the same images.
        out (str): PNG path.
        legend (int): Codes in the legend. Defaults to 12.
        code_notes (dict, optional): ``{code: text}`` shown in the legend.
        captions (Sequence[str], optional): A line under each image.
        order (Sequence[int], optional): Codes in the order they get
            colours (e.g. by frequency over a whole split, so that colours
            agree between figures). Defaults to frequency in these images.
        title (str): Figure title.

    Returns:
        str: ``out``. The size is :func:`layout_size`.
    """
    B = len(originals)
    if B != codes.codes.shape[0]:
        raise ValueError(f'{B} images but codes for {codes.codes.shape[0]}')
    colors = code_colors(codes.codes, order)
    width, height = layout_size(B)
    fig = new_figure(width, height)
    cell = LAYOUT_CELL
    heads = ('image', 'patch codes', 'codes over image')
    for b, image in enumerate(originals):
        size = image.shape[:2]
        cmap = code_map_image(codes.codes[b], colors, size)
        edge = code_boundaries(codes.codes[b], size)
        overlay = 0.45 * image / 255. + 0.55 * cmap
        overlay[edge] = 0
        cmap = cmap.copy()
        cmap[edge] = 0
        y = 24 + PANEL_PAD + b * (cell + LAYOUT_TITLE + PANEL_PAD)
        for j, panel in enumerate((image, cmap, overlay)):
            x = PANEL_PAD + j * (cell + PANEL_PAD)
            ax = fig.add_axes([x / width, 1 - (y + cell) / height,
                               cell / width, cell / height])
            ax.imshow(panel, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if b == 0:
                ax.set_title(heads[j], fontsize=9)
        n_codes = len(np.unique(codes.codes[b]))
        text = f'{n_codes} code' + ('s' if n_codes > 1 else '')
        if captions is not None and captions[b]:
            text = f'{text}: {captions[b]}'
        fig.text(PANEL_PAD / width, 1 - (y + cell + 4) / height,
                 _shorten(text, 95), fontsize=7.5, va='top', ha='left')
    _draw_legend(fig, codes, colors, legend, code_notes, width, height)
    fig.text(0.5, 1 - 4 / height,
             title or f'pattern layout: {len(colors)} codes in {B} images',
             fontsize=10, ha='center', va='top')
    return save_figure(fig, out)


def _draw_legend(fig, codes: PatchCodes, colors, legend: int,
                 code_notes, width: int, height: int) -> None:
    from matplotlib.patches import Rectangle
    values, n = np.unique(codes.codes, return_counts=True)
    order = np.lexsort((values, -n))
    x = 3 * LAYOUT_CELL + 4 * PANEL_PAD
    y = 24 + PANEL_PAD + 20
    fig.text(x / width, 1 - y / height, 'most frequent codes',
             fontsize=9, weight='bold', va='bottom')
    total = codes.codes.size
    for i, idx in enumerate(order[:legend]):
        code, count = int(values[idx]), int(n[idx])
        yy = y + 6 + i * 18
        fig.patches.append(Rectangle(
            (x / width, 1 - (yy + 13) / height), 14 / width, 13 / height,
            transform=fig.transFigure, facecolor=colors[code],
            edgecolor='black', lw=0.5))
        note = (code_notes or {}).get(code, '')
        label = f'{code}: {100 * count / total:.0f}%'
        if note:
            label += f'  {note}'
        fig.text((x + 19) / width, 1 - (yy + 11) / height,
                 _shorten(label, 34), fontsize=7.5, va='bottom')
    if len(order) > legend:
        yy = y + 6 + legend * 18
        fig.text((x + 19) / width, 1 - (yy + 11) / height,
                 f'+ {len(order) - legend} more codes', fontsize=7.5,
                 va='bottom', color='0.35')


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + '\u2026'


def notes_from_labels(codes: np.ndarray, labels: np.ndarray,
                      code_ids: Sequence[int]) -> Dict[int, str]:
    """``{code: '<majority label> <share>%'}`` for legends and titles."""
    from .code_purity import majority_labels
    return dict(zip([int(k) for k in code_ids],
                    majority_labels(codes, labels, code_ids)))

