"""Scene sampling and rendering for the Shapes-VL synthetic dataset.

A *scene* is a plain JSON-serialisable dict that fully determines an image:
the background (tone, gradient, stripes and a noise seed) and 1-3 objects,
each with a shape, colour, size, centre, radius and rotation. Rendering is a
pure function of the scene, so the same scene always gives the same pixels,
and the per-pixel ground truth (:func:`render_label_map`) is rasterised with
exactly the same geometry as the image.

Coordinates are in output pixels with the continuous convention: pixel
``(x, y)`` covers ``[x, x + 1) x [y, y + 1)``, so the image spans
``[0, image_size]`` on both axes and the image centre is ``image_size / 2``.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

# Shape names. Every shape fits inside the circle of radius ``radius`` around
# its centre, which is what the non-overlap test relies on.
SHAPES: Tuple[str, ...] = ('circle', 'square', 'triangle', 'diamond', 'star',
                           'cross')

# Saturated, hue-separated colours (hues ~0, 30, 55, 130, 220, 280 degrees).
# Hue survives brightness/contrast jitter and +-20% saturation keeps them far
# from the pale backgrounds, so the colour words stay true after augmentation.
COLORS: Dict[str, Tuple[int, int, int]] = {
    'red': (215, 35, 35),
    'orange': (245, 135, 15),
    'yellow': (235, 210, 20),
    'green': (35, 160, 60),
    'blue': (35, 80, 215),
    'purple': (140, 50, 185),
}

# Fraction of the image side used as the object radius for each size word.
# The ranges are far apart (a large object is ~1.7x a small one) so the
# size words are never borderline.
SIZES: Dict[str, Tuple[float, float]] = {
    'small': (0.10, 0.12),
    'large': (0.18, 0.20),
}

# 3x3 grid position phrases, indexed [row][col] (row 0 = top).
POSITION_GRID: Tuple[Tuple[str, str, str], ...] = (
    ('top left', 'top', 'top right'),
    ('left', 'center', 'right'),
    ('bottom left', 'bottom', 'bottom right'),
)
POSITIONS: Tuple[str, ...] = tuple(p for row in POSITION_GRID for p in row)

RELATIONS: Tuple[str, ...] = ('left of', 'right of', 'above', 'below')

# Muted, low-saturation background tones. Their names avoid the object
# colour words so a caption mentioning the background never reads as a
# claim about an object.
BACKGROUNDS: Dict[str, Tuple[int, int, int]] = {
    'grey': (196, 196, 196),
    'beige': (224, 210, 184),
    'cream': (238, 234, 214),
    'mint': (202, 224, 208),
    'lavender': (216, 208, 228),
}
BACKGROUND_PATTERNS: Tuple[str, ...] = ('plain', 'striped')

# Geometry constants, all as fractions of the image side.
MAX_OBJECTS = 3
# Gap kept between the bounding circles of two objects.
OBJECT_GAP = 0.04
# Gap kept between an object's bounding circle and the image border.
BORDER_GAP = 0.02
# Object centres stay this far from the 1/3 and 2/3 grid lines so that the
# position phrase is never a coin flip for a human reader.
GRID_MARGIN = 0.03
# A pairwise relation is stated only when the centre offset along its axis
# is at least RELATION_MARGIN and at least RELATION_DOMINANCE times the
# offset along the other axis.
RELATION_MARGIN = 0.15
RELATION_DOMINANCE = 1.3
# Rendering is done at this multiple of the output size, then box-filtered,
# which gives anti-aliased edges and fractional coverage for the label map.
SUPERSAMPLE = 4
# Maximum rotation jitter in degrees. Kept small for the square, diamond and
# cross because a square rotated by 45 degrees would look like a diamond.
ROTATION_JITTER: Dict[str, float] = {
    'circle': 0.0,
    'square': 10.0,
    'triangle': 15.0,
    'diamond': 10.0,
    'star': 36.0,
    'cross': 10.0,
}

_MAX_SCENE_TRIES = 100
_MAX_PLACEMENT_TRIES = 60


def position_phrase(center: Sequence[float], image_size: int) -> str:
    """Return the 3x3 grid phrase ("top left", ..., "bottom right").

    Args:
        center (Sequence[float]): Object centre ``(x, y)`` in pixels.
        image_size (int): Side of the square image in pixels.

    Returns:
        str: One of :data:`POSITIONS`.
    """
    col = min(int(3 * center[0] / image_size), 2)
    row = min(int(3 * center[1] / image_size), 2)
    return POSITION_GRID[row][col]


def spatial_relation(center_a: Sequence[float], center_b: Sequence[float],
                     image_size: int) -> str | None:
    """Return the unambiguous relation of object A with respect to B.

    Args:
        center_a (Sequence[float]): Centre of the subject in pixels.
        center_b (Sequence[float]): Centre of the reference object.
        image_size (int): Side of the square image in pixels.

    Returns:
        str | None: ``'left of'``, ``'right of'``, ``'above'`` or
        ``'below'``, or ``None`` when no relation is clear enough to state.
    """
    dx = (center_b[0] - center_a[0]) / image_size
    dy = (center_b[1] - center_a[1]) / image_size
    if abs(dx) >= RELATION_MARGIN and abs(dx) >= RELATION_DOMINANCE * abs(dy):
        return 'left of' if dx > 0 else 'right of'
    if abs(dy) >= RELATION_MARGIN and abs(dy) >= RELATION_DOMINANCE * abs(dx):
        # Image y grows downwards, so a positive dy means A is higher up.
        return 'above' if dy > 0 else 'below'
    return None


def _near_grid_line(value: float, image_size: int) -> bool:
    margin = GRID_MARGIN * image_size
    return any(abs(value - k * image_size / 3) < margin for k in (1, 2))


def _place(rng: np.random.Generator, radius: float, placed: List[dict],
           image_size: int) -> Tuple[float, float] | None:
    """Rejection-sample a centre that is inside, off grid lines, free."""
    lo = radius + BORDER_GAP * image_size
    hi = image_size - lo
    for _ in range(_MAX_PLACEMENT_TRIES):
        x, y = rng.uniform(lo, hi, size=2)
        if _near_grid_line(x, image_size) or _near_grid_line(y, image_size):
            continue
        if all(
                math.hypot(x - o['center'][0], y - o['center'][1]) >= radius +
                o['radius'] + OBJECT_GAP * image_size for o in placed):
            return float(x), float(y)
    return None


def shape_outline(shape: str, center: Sequence[float], radius: float,
                  rotation: float) -> List[Tuple[float, float]]:
    """Polygon vertices of a shape (circles are approximated finely).

    Args:
        shape (str): One of :data:`SHAPES`.
        center (Sequence[float]): Centre ``(x, y)``.
        radius (float): Bounding radius; every vertex lies within it.
        rotation (float): Clockwise rotation in degrees.

    Returns:
        list[tuple[float, float]]: Vertices in drawing order.
    """
    if shape == 'circle':
        # 0.85 r gives the circle roughly the same area as the square.
        k = np.linspace(0, 2 * np.pi, 96, endpoint=False)
        pts = np.stack([np.cos(k), np.sin(k)], 1) * 0.85
    elif shape == 'square':
        h = 0.70
        pts = np.array([[-h, -h], [h, -h], [h, h], [-h, h]])
    elif shape == 'triangle':
        # Equilateral, pointing up, circumcentre at the object centre.
        k = np.deg2rad(np.array([-90.0, 30.0, 150.0]))
        pts = np.stack([np.cos(k), np.sin(k)], 1)
    elif shape == 'diamond':
        # Taller than wide so it never looks like a slightly rotated square.
        pts = np.array([[0.0, -1.0], [0.65, 0.0], [0.0, 1.0], [-0.65, 0.0]])
    elif shape == 'star':
        k = np.deg2rad(-90.0 + 36.0 * np.arange(10))
        rad = np.where(np.arange(10) % 2 == 0, 1.0, 0.48)
        pts = np.stack([np.cos(k) * rad, np.sin(k) * rad], 1)
    elif shape == 'cross':
        a, w = 0.95, 0.30
        pts = np.array([[-w, -a], [w, -a], [w, -w], [a, -w], [a, w], [w, w],
                        [w, a], [-w, a], [-w, w], [-a, w], [-a, -w], [-w, -w]])
    else:
        raise ValueError(f'unknown shape {shape!r}')
    theta = np.deg2rad(rotation)
    rot = np.array([[np.cos(theta), -np.sin(theta)],
                    [np.sin(theta), np.cos(theta)]])
    pts = pts @ rot.T * radius + np.asarray(center, dtype=np.float64)
    return [(float(x), float(y)) for x, y in pts]


def _bbox(outline: List[Tuple[float, float]], image_size: int) -> List[int]:
    """Integer pixel box ``[x0, y0, x1, y1)`` (end exclusive) of an outline.

    Any pixel touched by the shape lies inside it, so every label-map pixel
    of the object satisfies ``x0 <= x < x1`` and ``y0 <= y < y1``.
    """
    xs = [p[0] for p in outline]
    ys = [p[1] for p in outline]
    return [
        max(int(math.floor(min(xs))), 0),
        max(int(math.floor(min(ys))), 0),
        min(int(math.ceil(max(xs))), image_size),
        min(int(math.ceil(max(ys))), image_size),
    ]


def _sample_objects(rng: np.random.Generator,
                    image_size: int) -> List[dict] | None:
    n = int(rng.integers(1, MAX_OBJECTS + 1))
    objects: List[dict] = []
    used_pairs = set()
    for _ in range(n):
        while True:
            shape = SHAPES[int(rng.integers(len(SHAPES)))]
            color = list(COLORS)[int(rng.integers(len(COLORS)))]
            if (shape, color) not in used_pairs:
                break
        size = list(SIZES)[int(rng.integers(len(SIZES)))]
        lo, hi = SIZES[size]
        radius = float(rng.uniform(lo, hi)) * image_size
        center = _place(rng, radius, objects, image_size)
        if center is None:
            return None
        jitter = ROTATION_JITTER[shape]
        rotation = float(rng.uniform(-jitter, jitter)) if jitter else 0.0
        # Small per-object tint keeps colours from being a single exact RGB
        # value while staying far inside the colour's hue region.
        rgb = np.clip(
            np.asarray(COLORS[color]) + rng.integers(-12, 13, size=3), 0, 255)
        used_pairs.add((shape, color))
        objects.append(
            dict(
                shape=shape,
                color=color,
                size=size,
                center=[round(center[0], 2),
                        round(center[1], 2)],
                radius=round(radius, 2),
                rotation=round(rotation, 2),
                rgb=[int(v) for v in rgb],
            ))
    return objects


def _relations(objects: List[dict], image_size: int) -> List[dict]:
    rels = []
    for i, a in enumerate(objects):
        for j, b in enumerate(objects):
            if i == j:
                continue
            rel = spatial_relation(a['center'], b['center'], image_size)
            if rel is not None:
                rels.append(dict(subject=i, relation=rel, object=j))
    return rels


def sample_background(rng: np.random.Generator, image_size: int) -> dict:
    """A background: tone (with a little jitter), plain or striped pattern,
    gradient and a noise seed, drawn in a fixed order so that a seed gives
    the same background in every world."""
    bg_name = list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))]
    bg_rgb = np.clip(
        np.asarray(BACKGROUNDS[bg_name]) + rng.integers(-6, 7, size=3), 0, 255)
    return dict(
        name=bg_name,
        rgb=[int(v) for v in bg_rgb],
        pattern=BACKGROUND_PATTERNS[int(
            rng.integers(len(BACKGROUND_PATTERNS)))],
        gradient_angle=round(float(rng.uniform(0, 360)), 2),
        gradient_strength=round(float(rng.uniform(4, 14)), 2),
        stripe_angle=round(float(rng.uniform(0, 180)), 2),
        stripe_period=round(float(rng.uniform(0.06, 0.14)) * image_size, 2),
        noise_seed=int(rng.integers(2**31)),
    )


def sample_scene(rng: np.random.Generator, image_size: int = 128) -> dict:
    """Sample a random scene description.

    Args:
        rng (numpy.random.Generator): Source of randomness; the scene is a
            deterministic function of its state.
        image_size (int): Side of the square image in pixels.

    Returns:
        dict: ``{"width", "height", "background", "objects", "relations"}``
        where each object has ``shape``, ``color``, ``size``, ``center``
        (x, y pixels), ``radius`` (bounding radius, pixels), ``rotation``
        (degrees), ``rgb`` (actual fill colour), ``bbox`` (``[x0, y0, x1,
        y1]`` integer pixels, end exclusive) and ``position`` (grid phrase);
        relations are ``{"subject": i, "relation": str, "object": j}``.
    """
    for _ in range(_MAX_SCENE_TRIES):
        objects = _sample_objects(rng, image_size)
        if objects is not None:
            break
    else:  # pragma: no cover - placement never fails this often in practice
        raise RuntimeError('could not place objects; image too small?')
    for obj in objects:
        outline = shape_outline(obj['shape'], obj['center'], obj['radius'],
                                obj['rotation'])
        obj['bbox'] = _bbox(outline, image_size)
        obj['position'] = position_phrase(obj['center'], image_size)

    background = sample_background(rng, image_size)
    return dict(
        width=image_size,
        height=image_size,
        background=background,
        objects=objects,
        relations=_relations(objects, image_size))


def _render_background(background: dict, size: int) -> np.ndarray:
    """Float (H, W, 3) background: tone + gradient + stripes + mottling."""
    rng = np.random.default_rng(background['noise_seed'])
    # Broadcast row/column coordinates instead of full grids (cheaper).
    yy = (np.arange(size, dtype=np.float32) + 0.5)[:, None]
    xx = (np.arange(size, dtype=np.float32) + 0.5)[None, :]
    ang = math.radians(background['gradient_angle'])
    shade = ((xx / size - 0.5) * math.cos(ang) +
             (yy / size - 0.5) * math.sin(ang))
    shade = shade * (2.0 * background['gradient_strength'])
    if background['pattern'] == 'striped':
        ang = math.radians(background['stripe_angle'])
        phase = (xx * math.cos(ang) + yy * math.sin(ang)) / max(
            background['stripe_period'], 1.0)
        shade = shade + 5.0 * np.sin(2 * np.pi * phase)
    # Low-frequency mottling (upsampled coarse noise) keeps the texture
    # gentle and compresses well in PNG, unlike per-pixel noise.
    coarse = Image.fromarray(rng.standard_normal((8, 8), dtype=np.float32))
    mottle = np.asarray(coarse.resize((size, size), Image.Resampling.BICUBIC))
    # A little pixel-level grain so flat regions are not perfectly flat.
    grain = rng.standard_normal((size, size), dtype=np.float32) * 1.2
    shade = (shade + 3.0 * mottle + grain).astype(np.float32)
    rgb = np.asarray(background['rgb'], np.float32)
    return shade[..., None] + rgb


def _coverage_crop(obj: dict) -> np.ndarray:
    """Coverage of an object inside its bbox, float32 ``(y1-y0, x1-x0)``."""
    s = SUPERSAMPLE
    x0, y0, x1, y1 = obj['bbox']
    # Only the object's box is drawn at high resolution, which keeps
    # rendering cheap even for large images.
    w, h = max(x1 - x0, 1), max(y1 - y0, 1)
    canvas = Image.new('L', (w * s, h * s), 0)
    outline = shape_outline(obj['shape'], obj['center'], obj['radius'],
                            obj['rotation'])
    # PIL puts integer coordinates on pixel centres; shift by half a
    # supersampled pixel so continuous coordinates line up with pixel edges.
    ImageDraw.Draw(canvas).polygon([((x - x0) * s - 0.5, (y - y0) * s - 0.5)
                                    for x, y in outline],
                                   fill=255)
    small = canvas.resize((w, h), Image.Resampling.BOX)
    return np.asarray(small, np.float32) / 255.0


def object_coverage(obj: dict, image_size: int) -> np.ndarray:
    """Fraction of each output pixel covered by one object.

    Args:
        obj (dict): An object entry of a scene.
        image_size (int): Side of the square image in pixels.

    Returns:
        numpy.ndarray: Float32 array (H, W) with values in ``[0, 1]``.
    """
    x0, y0 = obj['bbox'][:2]
    crop = _coverage_crop(obj)
    cov = np.zeros((image_size, image_size), np.float32)
    # The box is clipped to the image and objects lie inside it, so the
    # crop always fits.
    cov[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = crop
    return cov


def render_scene(scene: dict) -> Image.Image:
    """Render a scene to an RGB image.

    Args:
        scene (dict): A scene from :func:`sample_scene`.

    Returns:
        PIL.Image.Image: RGB image of size ``(width, height)``.
    """
    img = _render_background(scene['background'], scene['width'])
    for obj in scene['objects']:
        alpha = _coverage_crop(obj)[..., None]
        x0, y0 = obj['bbox'][:2]
        region = img[y0:y0 + alpha.shape[0], x0:x0 + alpha.shape[1]]
        # Alpha-blend inside the box only; in-place on a view of ``img``.
        region *= 1.0 - alpha
        region += np.asarray(obj['rgb'], np.float32) * alpha
    arr = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def render_label_map(scene: dict) -> np.ndarray:
    """Per-pixel object ids: 0 = background, ``i + 1`` = object ``i``.

    A pixel belongs to an object when at least half of it is covered, using
    the same rasterisation as :func:`render_scene`.

    Args:
        scene (dict): A scene from :func:`sample_scene`.

    Returns:
        numpy.ndarray: int64 array of shape ``(height, width)``.
    """
    size = scene['width']
    labels = np.zeros((size, size), np.int64)
    for i, obj in enumerate(scene['objects']):
        labels[object_coverage(obj, size) >= 0.5] = i + 1
    return labels
