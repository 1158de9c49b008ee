"""Shapes-VL v2: a world in which colour alone does not identify an image.

Opt-in (``--world v2`` of the generator); v1 (:mod:`.scene`,
:mod:`.language`) is unchanged. Design, see ``docs/shapes_vl_v2.md``:

* a small palette (4 colours) and 4 clearly distinct shapes, so the same
  colour sets recur in many images and only shape and layout tell them
  apart;
* 2 or 3 objects (3 in 70 % of the images), each centred in its own
  quadrant of the image (top left, top right, bottom left, bottom right),
  large enough to be read at 64 px (radius 16-19 % of the side: ~3x3
  patches of 8 px);
* *complete* captions: every caption states every object's colour, shape
  and quadrant (sometimes as a relation between two objects in the same
  row or column), in one of several templates and orders. A caption is
  therefore true of exactly the images with the same set of
  (colour, shape, quadrant) triples, and the generator can compute from
  its own scenes how often a caption is true of another image
  (:mod:`.semantics`).

Captions are parsed back into their meaning by :func:`parse_caption`
(which reads the text only), and :func:`caption_true` says whether a
caption is true of a scene.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, List, Sequence, Tuple

import numpy as np

from . import scene as v1
from .language import _annotate, _collect_questions, _pick

# ------------------------------------------------------------------ world
SHAPES: Tuple[str, ...] = ('circle', 'square', 'triangle', 'cross')
COLORS: Dict[str, Tuple[int, int, int]] = {
    c: v1.COLORS[c]
    for c in ('red', 'yellow', 'green', 'blue')
}
# One size range: object size is not a caption attribute in v2.
SIZES: Dict[str, Tuple[float, float]] = {'medium': (0.16, 0.19)}
QUADRANTS: Tuple[str, ...] = ('top left', 'top right', 'bottom left',
                              'bottom right')
# quadrant -> (column, row), 0 = left / top
QUADRANT_CELL = {
    'top left': (0, 0),
    'top right': (1, 0),
    'bottom left': (0, 1),
    'bottom right': (1, 1)
}
BACKGROUNDS = v1.BACKGROUNDS
BACKGROUND_PATTERNS = v1.BACKGROUND_PATTERNS
MIN_OBJECTS, MAX_OBJECTS = 2, 3
# Share of 3-object images: 2-object scenes repeat more often (6 quadrant
# pairs x 240 ordered types), so this keeps the oracle R@1 of a 500-image
# split near 97 (95.7 at 0.5, measured over 3 seeds, docs/shapes_vl_v2.md).
P_THREE_OBJECTS = 0.7
# An object's bounding circle stays this far (fraction of the side) from
# the lines between quadrants and from the border.
QUADRANT_GAP = 0.02
VERSION = '2.0.0'

# ------------------------------------------------------------- language
COLOR_WORDS: Dict[str, Tuple[str, ...]] = {c: (c, ) for c in COLORS}
SHAPE_WORDS: Dict[str, Tuple[str, ...]] = {
    'circle': ('circle', 'disk'),
    'square': ('square', 'box'),
    'triangle': ('triangle', ),
    'cross': ('cross', 'plus sign'),
}
PLURALS = {
    'circle': 'circles',
    'disk': 'disks',
    'square': 'squares',
    'box': 'boxes',
    'triangle': 'triangles',
    'cross': 'crosses',
    'plus sign': 'plus signs',
    'shape': 'shapes',
    'object': 'objects'
}
QUADRANT_WORDS: Dict[str, Tuple[str, ...]] = {
    'top left': ('top left', 'upper left'),
    'top right': ('top right', 'upper right'),
    'bottom left': ('bottom left', 'lower left'),
    'bottom right': ('bottom right', 'lower right'),
}
# a side shared by two objects (their row or their column)
SIDE_WORDS: Dict[str, Tuple[str, ...]] = {
    'top': ('at the top', ),
    'bottom': ('at the bottom', ),
    'left': ('on the left', ),
    'right': ('on the right', ),
}
RELATION_WORDS: Dict[str, Tuple[str, ...]] = {
    'left of': ('to the left of', ),
    'right of': ('to the right of', ),
    'above': ('above', ),
    'below': ('below', ),
}
NUMBER_WORDS = {2: 'two', 3: 'three'}
_NUMBER_DIGITS = {0: '0', 1: '1', 2: '2', 3: '3'}
# Words plus punctuation marks of a caption: each is one BERT word piece
# (every word of the vocabulary is a whole piece), so with [CLS] and [SEP]
# a caption fits the 30 tokens of the text encoders and none loses an
# object to truncation.
MAX_CAPTION_PIECES = 28

# A caption's meaning: the set of (colour, shape, quadrant) of every object.
Meaning = FrozenSet[Tuple[str, str, str]]


def vocabulary() -> dict:
    """JSON-friendly word lists of v2 captions (stored in ``meta.json``)."""

    def lists(table):
        return {str(k): list(v) for k, v in table.items()}

    return dict(
        colors=lists(COLOR_WORDS),
        shapes=lists(SHAPE_WORDS),
        plurals=dict(PLURALS),
        quadrants=lists(QUADRANT_WORDS),
        sides=lists(SIDE_WORDS),
        relations=lists(RELATION_WORDS),
        numbers={str(k): [v]
                 for k, v in NUMBER_WORDS.items()})


# ----------------------------------------------------------------- scenes
def _sample_objects(rng: np.random.Generator, image_size: int) -> List[dict]:
    n = MAX_OBJECTS if rng.random() < P_THREE_OBJECTS else MIN_OBJECTS
    quadrants = [QUADRANTS[int(q)] for q in rng.permutation(4)[:n]]
    types = rng.permutation(len(SHAPES) * len(COLORS))[:n]
    objects = []
    lo, hi = SIZES['medium']
    for quadrant, t in zip(quadrants, types):
        shape, color = SHAPES[int(t) % len(SHAPES)], list(COLORS)[int(t) //
                                                                 len(SHAPES)]
        radius = float(rng.uniform(lo, hi)) * image_size
        col, row = QUADRANT_CELL[quadrant]
        slack = max(0.25 * image_size - radius - QUADRANT_GAP * image_size,
                    0.0)
        cx = (0.25 + 0.5 * col) * image_size + rng.uniform(-slack, slack)
        cy = (0.25 + 0.5 * row) * image_size + rng.uniform(-slack, slack)
        jitter = v1.ROTATION_JITTER[shape]
        rotation = float(rng.uniform(-jitter, jitter)) if jitter else 0.0
        rgb = np.clip(
            np.asarray(COLORS[color]) + rng.integers(-12, 13, size=3), 0, 255)
        objects.append(
            dict(
                shape=shape,
                color=color,
                size='medium',
                center=[round(float(cx), 2),
                        round(float(cy), 2)],
                radius=round(radius, 2),
                rotation=round(rotation, 2),
                rgb=[int(v) for v in rgb],
                position=quadrant))
    return objects


def sample_scene(rng: np.random.Generator, image_size: int = 64) -> dict:
    """Sample a v2 scene (same fields as a v1 scene, see
    :func:`.scene.sample_scene`; ``position`` is the object's quadrant).

    Args:
        rng (numpy.random.Generator): Source of randomness.
        image_size (int): Side of the square image in pixels.

    Returns:
        dict: ``{"width", "height", "background", "objects",
        "relations"}``, renderable by :func:`.scene.render_scene`.
    """
    objects = _sample_objects(rng, image_size)
    for obj in objects:
        outline = v1.shape_outline(obj['shape'], obj['center'], obj['radius'],
                                   obj['rotation'])
        obj['bbox'] = v1._bbox(outline, image_size)
    background = v1.sample_background(rng, image_size)
    return dict(
        width=image_size,
        height=image_size,
        background=background,
        objects=objects,
        relations=v1._relations(objects, image_size))


def scene_meaning(scene: dict) -> Meaning:
    """The (colour, shape, quadrant) triples of a scene's objects."""
    return frozenset(
        (o['color'], o['shape'], o['position']) for o in scene['objects'])


# --------------------------------------------------------------- captions
def _obj(obj: dict, rng: np.random.Generator) -> str:
    return (f'a {_pick(rng, COLOR_WORDS[obj["color"]])} '
            f'{_pick(rng, SHAPE_WORDS[obj["shape"]])}')


def _where(quadrant: str, rng: np.random.Generator) -> str:
    words = _pick(rng, QUADRANT_WORDS[quadrant])
    return _pick(rng, (f'in the {words} corner', f'at the {words}',
                       f'in the {words}'))


def _join(items: List[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ', '.join(items[:-1]) + ' and ' + items[-1]


def _aligned_pair(objs: List[dict], order: Sequence[int]):
    """First pair (in ``order``) sharing a row or a column, or None."""
    for a in order:
        for b in order:
            if a == b:
                continue
            ca = QUADRANT_CELL[objs[a]['position']]
            cb = QUADRANT_CELL[objs[b]['position']]
            if ca[1] == cb[1] or ca[0] == cb[0]:
                return a, b
    return None


def _relation_clause(objs: List[dict], a: int, b: int,
                     rng: np.random.Generator) -> str:
    """"a red circle to the left of a blue cross at the top"."""
    ca = QUADRANT_CELL[objs[a]['position']]
    cb = QUADRANT_CELL[objs[b]['position']]
    if ca[1] == cb[1]:  # same row
        rel = 'left of' if ca[0] < cb[0] else 'right of'
        side = ('top', 'bottom')[ca[1]]
    else:  # same column
        rel = 'above' if ca[1] < cb[1] else 'below'
        side = ('left', 'right')[ca[0]]
    return (f'{_obj(objs[a], rng)} {_pick(rng, RELATION_WORDS[rel])} '
            f'{_obj(objs[b], rng)} {_pick(rng, SIDE_WORDS[side])}')


def _cap_list(scene, rng):
    objs = scene['objects']
    order = [int(i) for i in rng.permutation(len(objs))]
    body = _join([f'{_obj(objs[i], rng)} {_where(objs[i]["position"], rng)}'
                  for i in order])
    style = int(rng.integers(4))
    if style == 1:
        noun = _pick(rng, ('shapes', 'objects'))
        return f'{NUMBER_WORDS[len(objs)]} {noun}: {body}'
    if style == 2:
        return f'there is {body}'
    if style == 3:
        return f'{_pick(rng, ("an image of", "a picture of"))} {body}'
    return body


def _cap_place_first(scene, rng):
    objs = scene['objects']
    order = [int(i) for i in rng.permutation(len(objs))]
    verb = _pick(rng, ('there is ', ''))
    return _join([
        f'{_where(objs[i]["position"], rng)} {verb}{_obj(objs[i], rng)}'
        for i in order
    ])


def _cap_relation(scene, rng):
    objs = scene['objects']
    order = [int(i) for i in rng.permutation(len(objs))]
    pair = _aligned_pair(objs, order)
    if pair is None:
        return None
    parts = [_relation_clause(objs, pair[0], pair[1], rng)]
    parts += [
        f'{_obj(objs[i], rng)} {_where(objs[i]["position"], rng)}'
        for i in order if i not in pair
    ]
    return _join(parts)


def caption_pieces(text: str) -> int:
    """Words plus ``,`` and ``:`` marks (BERT pieces, see
    :data:`MAX_CAPTION_PIECES`)."""
    return len(text.split()) + text.count(',') + text.count(':')


def describe(objects: Sequence[dict]) -> str:
    """The plain list caption of objects (``color``, ``shape``,
    ``position``), in quadrant order: "a red circle in the top left corner,
    a blue cross in the top right corner and ...". For probes that vary
    one attribute of one object."""
    order = sorted(objects, key=lambda o: QUADRANTS.index(o['position']))
    return _join([
        f'a {o["color"]} {o["shape"]} in the {o["position"]} corner'
        for o in order
    ])


_TEMPLATES = (_cap_list, _cap_place_first, _cap_relation)


def generate_captions(scene: dict,
                      rng: np.random.Generator,
                      num: int = 5) -> List[str]:
    """``num`` distinct complete captions of a v2 scene.

    Every caption names every object with its colour, shape and quadrant;
    they differ in template, word order and synonyms. The first is a list
    caption, the second names the places first and the third states a
    relation whenever two objects share a row or a column (every 3-object
    scene, about a third of the 2-object ones).
    """
    captions: List[str] = []
    for k in range(400):
        if len(captions) == num:
            break
        if k < 40 and len(captions) < len(_TEMPLATES):
            make = _TEMPLATES[len(captions)]
        else:
            make = _pick(rng, _TEMPLATES)
        text = make(scene, rng)
        if (text and caption_pieces(text) <= MAX_CAPTION_PIECES
                and text not in captions):
            captions.append(text)
    if len(captions) < num:  # pragma: no cover - never seen in practice
        raise RuntimeError(f'only {len(captions)} distinct captions')
    return captions


# ---------------------------------------------------------------- parsing
def _lexicon() -> Dict[Tuple[str, ...], Tuple[str, str]]:
    lex = {}
    tables = (('color', COLOR_WORDS), ('shape', SHAPE_WORDS),
              ('quadrant', QUADRANT_WORDS), ('relation', RELATION_WORDS))
    for cat, table in tables:
        for canon, forms in table.items():
            for form in forms:
                lex[tuple(form.split())] = (cat, canon)
    for side, forms in SIDE_WORDS.items():
        for form in forms:
            lex[tuple(form.split()[-1:])] = ('side', side)
    for n, word in NUMBER_WORDS.items():
        lex[(word, )] = ('number', str(n))
    return lex


_LEX = _lexicon()
_LONGEST = max(len(k) for k in _LEX)


def _tokens(clause: str) -> List[Tuple[str, str]]:
    toks, out, i = clause.split(), [], 0
    while i < len(toks):
        for n in range(_LONGEST, 0, -1):
            if tuple(toks[i:i + n]) in _LEX:
                out.append(_LEX[tuple(toks[i:i + n])])
                i += n
                break
        else:
            i += 1
    return out


def parse_caption(text: str) -> Meaning:
    """Read a v2 caption back into its (colour, shape, quadrant) triples.

    Reads the text only (clauses split at ``,``, ``:`` and ``and``): a
    clause with one object and one quadrant places that object; a clause
    with two objects, a relation and a side places both.

    Raises:
        ValueError: ``text`` is not a v2 caption.
    """
    meaning, count = set(), None
    clauses = text.replace(':', ',').replace(' and ', ',').split(',')
    for clause in clauses:
        toks = _tokens(clause)
        objects, rest = [], []
        k = 0
        while k < len(toks):
            if (toks[k][0] == 'color' and k + 1 < len(toks)
                    and toks[k + 1][0] == 'shape'):
                objects.append((toks[k][1], toks[k + 1][1]))
                k += 2
            else:
                rest.append(toks[k])
                k += 1
        kinds = sorted(cat for cat, _ in rest)
        if not objects and kinds == ['number']:
            count = int(rest[0][1])
        elif len(objects) == 1 and kinds == ['quadrant']:
            meaning.add(objects[0] + (rest[0][1], ))
        elif len(objects) == 2 and kinds == ['relation', 'side']:
            rel = next(v for c, v in rest if c == 'relation')
            side = next(v for c, v in rest if c == 'side')
            try:
                first, second = _relation_cells(rel, side)
            except ValueError as err:
                raise ValueError(f'not a Shapes-VL v2 caption: {text!r} '
                                 f'({err})') from None
            meaning.add(objects[0] + (first, ))
            meaning.add(objects[1] + (second, ))
        else:
            raise ValueError(f'not a Shapes-VL v2 caption: {text!r} '
                             f'(clause {clause.strip()!r})')
    if not meaning or (count is not None and count != len(meaning)):
        raise ValueError(f'not a Shapes-VL v2 caption: {text!r}')
    return frozenset(meaning)


def _relation_cells(relation: str, side: str) -> Tuple[str, str]:
    """Quadrants of the subject and the object of "A <relation> B <side>".
    """
    if relation in ('left of', 'right of'):
        if side not in ('top', 'bottom'):
            raise ValueError(f'{relation!r} needs a row, got {side!r}')
        cells = (f'{side} left', f'{side} right')
        return cells if relation == 'left of' else cells[::-1]
    if side not in ('left', 'right'):
        raise ValueError(f'{relation!r} needs a column, got {side!r}')
    cells = (f'top {side}', f'bottom {side}')
    return cells if relation == 'above' else cells[::-1]


def caption_colours(data_info: dict) -> Tuple[str, ...]:
    """The sorted colours of the objects a sample's caption names.

    A key for :class:`~semmim.datasets.HardBatchSampler`: images that share
    it differ only in shape and layout.
    """
    return tuple(sorted(c for c, _, _ in parse_caption(data_info['text'])))


def caption_true(caption: str | Meaning, scene: dict) -> bool:
    """Whether a (complete) v2 caption is true of a scene: it names exactly
    the scene's objects, each with its colour, shape and quadrant."""
    meaning = parse_caption(caption) if isinstance(caption, str) else caption
    return meaning == scene_meaning(scene)


# -------------------------------------------------------------- questions
def _q(question, answer, pool, qtype, atype, rng, key):
    return dict(
        question=question,
        answer=answer,
        answers=_annotate(answer, pool, rng),
        answer_type=atype,
        question_type=qtype,
        key=key)


def _q_exist(scene, rng):
    objs = scene['objects']
    if rng.random() < 0.5:
        o = objs[int(rng.integers(len(objs)))]
        color, shape = o['color'], o['shape']
    else:
        present = {(o['color'], o['shape']) for o in objs}
        absent = [(c, s) for c in COLORS for s in SHAPES
                  if (c, s) not in present]
        color, shape = absent[int(rng.integers(len(absent)))]
    answer = 'yes' if any(o['color'] == color and o['shape'] == shape
                          for o in objs) else 'no'
    text = f'is there a {color} {_pick(rng, SHAPE_WORDS[shape])}?'
    return _q(text, answer, ('yes', 'no'), 'is there a', 'yes/no', rng,
              ('exist', color, shape))


def _q_count(scene, rng):
    objs = scene['objects']
    key = _pick(rng, (None, 'color', 'shape'))
    if key is None:
        n, noun = len(objs), _pick(rng, ('shapes', 'objects'))
        value = None
    else:
        pool = tuple(COLORS) if key == 'color' else SHAPES
        value = _pick(rng, pool)
        n = sum(o[key] == value for o in objs)
        noun = (f'{value} shapes' if key == 'color' else PLURALS[_pick(
            rng, SHAPE_WORDS[value])])
    text = f'how many {noun} {_pick(rng, ("are there", "can you see"))}?'
    return _q(text, _NUMBER_DIGITS[n], ('0', '1', '2', '3'), 'how many',
              'number', rng, ('count', key, value))


def _q_what(scene, rng, key):
    objs = scene['objects']
    obj = objs[int(rng.integers(len(objs)))]
    corner = f'{_pick(rng, QUADRANT_WORDS[obj["position"]])} corner'
    if key == 'color':
        text = f'what color is the shape in the {corner}?'
        pool, qtype = tuple(COLORS), 'what color is the'
    else:
        text = f'what shape is in the {corner}?'
        pool, qtype = SHAPES, 'what shape is'
    return _q(text, obj[key], pool, qtype, 'other', rng,
              (key, obj['position']))


def _q_where(scene, rng):
    objs = scene['objects']
    obj = objs[int(rng.integers(len(objs)))]
    text = (f'where is the {obj["color"]} '
            f'{_pick(rng, SHAPE_WORDS[obj["shape"]])}?')
    return _q(text, obj['position'], QUADRANTS, 'where is the', 'other', rng,
              ('where', obj['position']))


def _q_corner(scene, rng):
    quadrant = QUADRANTS[int(rng.integers(4))]
    full = any(o['position'] == quadrant for o in scene['objects'])
    words = _pick(rng, QUADRANT_WORDS[quadrant])
    text = f'is there a shape in the {words} corner?'
    return _q(text, 'yes' if full else 'no', ('yes', 'no'), 'is there a',
              'yes/no', rng, ('corner', quadrant))


def generate_questions(scene: dict,
                       rng: np.random.Generator,
                       num: int = 5) -> List[dict]:
    """VQA questions (existence, counting, colour / shape of the object in
    a corner, where an object is, is a corner occupied) with ten noisy
    annotator answers each, in the v1 format (see
    :func:`.language.generate_questions`)."""
    makers = [
        lambda: _q_what(scene, rng, 'color'),
        lambda: _q_what(scene, rng, 'shape'),
        lambda: _q_where(scene, rng),
        lambda: _q_corner(scene, rng),
        lambda: _q_count(scene, rng),
        lambda: _q_exist(scene, rng),
    ]
    return _collect_questions(
        [_q_exist(scene, rng), _q_count(scene, rng)], makers, rng, num,
        tries=200)


def meta_vocab() -> dict:
    """The ``vocab`` entry of a v2 ``meta.json``."""
    return dict(
        shapes=list(SHAPES),
        colors={k: list(v)
                for k, v in COLORS.items()},
        sizes={k: list(v)
               for k, v in SIZES.items()},
        positions=list(QUADRANTS),
        relations=list(v1.RELATIONS),
        backgrounds={k: list(v)
                     for k, v in BACKGROUNDS.items()},
        background_patterns=list(BACKGROUND_PATTERNS),
        words=vocabulary())


def spatial_meta() -> dict:
    """The ``spatial`` entry of a v2 ``meta.json``."""
    return dict(
        coordinates='pixels; pixel (x, y) covers [x, x+1) x [y, y+1)',
        grid='2x2 quadrants; each object in its own quadrant, its bounding '
        'circle inside it',
        bbox='[x0, y0, x1, y1] integer pixels, x1/y1 exclusive',
        quadrant_gap=QUADRANT_GAP,
        relation='A left of / above B: same row / column, other quadrant')

