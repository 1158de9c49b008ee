"""Captions and VQA questions for Shapes-VL scenes.

Everything said about a scene is derived from its geometry, so captions and
majority answers are always true. Two rules keep references unambiguous:

* every singular noun phrase ("the big circle", "a red shape") matches
  exactly one object of the scene;
* a position or relation phrase always follows the noun phrase it talks
  about, and a relation is only stated when the scene lists it (i.e. it is
  clear along its axis, see :func:`scene.spatial_relation`).

The word lists below are the complete vocabulary of spatial and attribute
words the generator emits; they are exported so that parsers (and the
tests) can read the captions back.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from .scene import COLORS, POSITIONS, SHAPES, SIZES

# canonical value -> surface forms used in captions / questions
SIZE_WORDS: Dict[str, Tuple[str, ...]] = {
    'small': ('small', 'little'),
    'large': ('large', 'big'),
}
COLOR_WORDS: Dict[str, Tuple[str, ...]] = {c: (c, ) for c in COLORS}
COLOR_WORDS['purple'] = ('purple', 'violet')
SHAPE_WORDS: Dict[str, Tuple[str, ...]] = {s: (s, ) for s in SHAPES}
SHAPE_WORDS['circle'] = ('circle', 'disk')
SHAPE_WORDS['diamond'] = ('diamond', 'rhombus')
SHAPE_WORDS['cross'] = ('cross', 'plus sign')
PLURALS: Dict[str, str] = {
    'circle': 'circles',
    'disk': 'disks',
    'square': 'squares',
    'triangle': 'triangles',
    'diamond': 'diamonds',
    'rhombus': 'rhombi',
    'star': 'stars',
    'cross': 'crosses',
    'plus sign': 'plus signs',
    'shape': 'shapes',
    'object': 'objects'
}
# Nouns that name "some object" without giving its shape.
GENERIC_NOUNS: Tuple[str, ...] = ('shape', 'object')
POSITION_WORDS: Dict[str, Tuple[str, ...]] = {p: (p, ) for p in POSITIONS}
POSITION_WORDS['center'] = ('center', 'middle')
RELATION_WORDS: Dict[str, Tuple[str, ...]] = {
    'left of': ('to the left of', ),
    'right of': ('to the right of', ),
    'above': ('above', ),
    'below': ('below', 'beneath'),
}
# Number words express exact counts of the objects matching a noun phrase.
NUMBER_WORDS: Dict[int, Tuple[str, ...]] = {
    1: ('one', 'a single'),
    2: ('two', ),
    3: ('three', ),
}
INVERSE_RELATION = {
    'left of': 'right of',
    'right of': 'left of',
    'above': 'below',
    'below': 'above'
}

# How a grid cell is said in a sentence.
_POSITION_PHRASES = {
    'top left': ('in the top left corner', 'at the top left'),
    'top right': ('in the top right corner', 'at the top right'),
    'bottom left': ('in the bottom left corner', 'at the bottom left'),
    'bottom right': ('in the bottom right corner', 'at the bottom right'),
    'top': ('at the top', 'near the top'),
    'bottom': ('at the bottom', 'near the bottom'),
    'left': ('on the left', 'on the left side'),
    'right': ('on the right', 'on the right side'),
    'center': ('in the center', 'in the middle'),
}
_NUMBER_DIGITS = {0: '0', 1: '1', 2: '2', 3: '3'}

MAX_CAPTION_WORDS = 30
ANNOTATORS = 10


def vocabulary() -> dict:
    """JSON-friendly description of every word list the generator uses.

    Returns:
        dict: Canonical values and surface forms per category.
    """

    def lists(table: dict) -> dict:
        return {str(k): list(v) for k, v in table.items()}

    return dict(
        sizes=lists(SIZE_WORDS),
        colors=lists(COLOR_WORDS),
        shapes=lists(SHAPE_WORDS),
        plurals=dict(PLURALS),
        generic_nouns=list(GENERIC_NOUNS),
        positions=lists(POSITION_WORDS),
        relations=lists(RELATION_WORDS),
        numbers=lists(NUMBER_WORDS),
    )


# --------------------------------------------------------------- helpers
def _pick(rng: np.random.Generator, options: Sequence):
    return options[int(rng.integers(len(options)))]


def _article(word: str) -> str:
    return 'an' if word[0] in 'aeiou' else 'a'


def _matches(objects: List[dict], attrs: Dict[str, str]) -> List[int]:
    return [
        i for i, o in enumerate(objects)
        if all(o[k] == v for k, v in attrs.items())
    ]


def _join(items: List[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ', '.join(items[:-1]) + ' and ' + items[-1]


def _phrase(attrs: Dict[str, str],
            rng: np.random.Generator,
            plural: bool = False,
            generic: str | None = None) -> str:
    """Words (no article) for attributes in the fixed order size-colour-noun.

    ``generic`` fixes the noun used when the shape is not named (so that
    "what shape is the red object?" never reads "... the red shape?").
    """
    words = []
    if 'size' in attrs:
        words.append(_pick(rng, SIZE_WORDS[attrs['size']]))
    if 'color' in attrs:
        words.append(_pick(rng, COLOR_WORDS[attrs['color']]))
    if 'shape' in attrs:
        noun = _pick(rng, SHAPE_WORDS[attrs['shape']])
    else:
        noun = generic or _pick(rng, GENERIC_NOUNS)
    words.append(PLURALS[noun] if plural else noun)
    return ' '.join(words)


# Attribute subsets used to refer to an object, with sampling weights.
# The fuller forms dominate so that captions stay informative for retrieval.
_REF_FORMS = (
    (('size', 'color', 'shape'), 4.0),
    (('color', 'shape'), 3.0),
    (('size', 'shape'), 1.0),
    (('shape', ), 1.0),
    (('color', ), 0.7),
    (('size', 'color'), 0.5),
    (('size', ), 0.3),
)


def _ref_attrs(objects: List[dict],
               idx: int,
               rng: np.random.Generator,
               exclude: Sequence[str] = (),
               allow_short: bool = True) -> Dict[str, str] | None:
    """Random attribute subset that identifies object ``idx`` uniquely."""
    obj = objects[idx]
    forms, weights = [], []
    for keys, w in _REF_FORMS:
        if any(k in exclude for k in keys):
            continue
        if not allow_short and 'shape' not in keys:
            continue
        attrs = {k: obj[k] for k in keys}
        if _matches(objects, attrs) == [idx]:
            forms.append(attrs)
            weights.append(w)
    if not forms:
        return None
    p = np.asarray(weights) / sum(weights)
    return forms[int(rng.choice(len(forms), p=p))]


def _ref(objects: List[dict],
         idx: int,
         rng: np.random.Generator,
         article: str = 'a') -> str:
    """Unique singular noun phrase with article for object ``idx``."""
    attrs = _ref_attrs(objects, idx, rng)
    words = _phrase(attrs, rng)
    art = _article(words) if article == 'a' else article
    return f'{art} {words}'


def _where(obj: dict, rng: np.random.Generator) -> str:
    return _pick(rng, _POSITION_PHRASES[obj['position']])


def _count_words(n: int, rng: np.random.Generator) -> str:
    return _pick(rng, NUMBER_WORDS[n])


# -------------------------------------------------------------- captions
def _normalise(text: str) -> str:
    """Caption with synonyms replaced, to tell real variety from rewording.
    """
    words = f' {text} '
    for table in (SIZE_WORDS, COLOR_WORDS, SHAPE_WORDS, POSITION_WORDS):
        for canonical, forms in table.items():
            for form in forms[1:]:
                words = words.replace(f' {form} ', f' {canonical} ')
    for filler in (' is ', ' side ', ' corner ', ' near ', ' in ', ' at ',
                   ' on '):
        words = words.replace(filler, ' ')
    return ' '.join(words.split())


def _cap_list(scene: dict, rng: np.random.Generator) -> str:
    objs = scene['objects']
    order = rng.permutation(len(objs))
    items = _join([_ref(objs, int(i), rng) for i in order])
    bg = scene['background']
    style = int(rng.integers(5))
    if style == 0:
        return items
    if style == 1:
        pattern = 'striped ' if bg['pattern'] == 'striped' else ''
        return f'{items} on a {pattern}{bg["name"]} background'
    if style == 2:
        return f'{_pick(rng, ("an image of", "a picture of"))} {items}'
    if style == 3:
        # "there is a X and a Y": the verb agrees with the first item.
        return f'there is {items}'
    noun = _pick(rng, ('shapes', 'objects')) if len(objs) > 1 else _pick(
        rng, ('shape', 'object'))
    return f'{_count_words(len(objs), rng)} {noun}: {items}'


def _cap_position(scene: dict, rng: np.random.Generator) -> str:
    objs = scene['objects']
    order = [int(i) for i in rng.permutation(len(objs))]
    if len(objs) > 1 and rng.random() < 0.3:
        order = order[:1]  # focus on a single object now and then
    verb = rng.random() < 0.5
    parts = [
        f'{_ref(objs, i, rng)}{" is" if verb else ""} {_where(objs[i], rng)}'
        for i in order
    ]
    return _join(parts)


def _cap_relation(scene: dict, rng: np.random.Generator) -> str | None:
    objs = scene['objects']
    rels = scene['relations']
    if not rels:
        return None
    rel = rels[int(rng.integers(len(rels)))]
    s, o = rel['subject'], rel['object']
    rel_words = _pick(rng, RELATION_WORDS[rel['relation']])
    verb = ' is' if rng.random() < 0.5 else ''
    subject, other = _ref(objs, s, rng), _ref(objs, o, rng, 'the')
    text = f'{subject}{verb} {rel_words} {other}'
    rest = [i for i in range(len(objs)) if i not in (s, o)]
    if rest:
        # The third object gets a position, never a second relation, so
        # each spatial phrase has a single obvious subject.
        third = rest[0]
        text += f', and {_ref(objs, third, rng)} {_where(objs[third], rng)}'
    return text


def _cap_count(scene: dict, rng: np.random.Generator) -> str:
    objs = scene['objects']
    n = len(objs)
    style = int(rng.integers(3))
    if style == 0 and n > 1:
        # "two big shapes and one small shape"
        parts = []
        for size in SIZES:
            k = len(_matches(objs, {'size': size}))
            if k:
                parts.append(f'{_count_words(k, rng)} '
                             f'{_phrase({"size": size}, rng, plural=k > 1)}')
        return _join(parts)
    if style == 1:
        where = _pick(rng, ('in the image', 'in the picture', ''))
        noun = _phrase({}, rng, plural=n > 1)
        lead = 'there is' if n == 1 else 'there are'
        text = f'{lead} {_count_words(n, rng)} {noun}'
        text = f'{text} {where}'.strip()
        obj = int(rng.integers(n))
        ref = _ref(objs, obj, rng, 'the')
        return f'{text}, {ref} is {_where(objs[obj], rng)}'
    # "one red shape and two blue shapes": exact counts per colour
    colors = sorted({o['color'] for o in objs}, key=list(COLORS).index)
    parts = []
    for c in colors:
        k = len(_matches(objs, {'color': c}))
        parts.append(f'{_count_words(k, rng)} '
                     f'{_phrase({"color": c}, rng, plural=k > 1)}')
    return f'{_join(parts)} on a {scene["background"]["name"]} background'


def _cap_predicate(scene: dict, rng: np.random.Generator) -> str | None:
    """"the star is big and the circle is on the left" style captions."""
    objs = scene['objects']
    parts = []
    for i in [int(k) for k in rng.permutation(len(objs))][:2]:
        key = _pick(rng, ('size', 'color'))
        attrs = _ref_attrs(objs, i, rng, exclude=(key, ), allow_short=False)
        if attrs is None:
            continue
        subj = f'the {_phrase(attrs, rng)}'
        if rng.random() < 0.3:
            parts.append(f'{subj} is {_where(objs[i], rng)}')
        else:
            words = SIZE_WORDS if key == 'size' else COLOR_WORDS
            parts.append(f'{subj} is {_pick(rng, words[objs[i][key]])}')
    return _join(parts) if parts else None


def _cap_spatial(scene: dict, rng: np.random.Generator) -> str:
    """A relation caption when the scene has a clear relation, else a
    position caption."""
    return _cap_relation(scene, rng) or _cap_position(scene, rng)


_CAPTION_SLOTS = (
    (_cap_list, _cap_count),
    (_cap_position, ),
    (_cap_spatial, ),
    (_cap_count, _cap_predicate, _cap_list),
    (_cap_list, _cap_position, _cap_relation, _cap_predicate, _cap_count),
)


def generate_captions(scene: dict,
                      rng: np.random.Generator,
                      num: int = 5) -> List[str]:
    """Distinct, true captions for a scene.

    Captions are drawn from per-slot template groups: the 2nd caption is a
    position caption and the 3rd a relation caption whenever the scene has
    a clear relation (a position caption otherwise), so every image has at
    least one spatial caption.

    Args:
        scene (dict): A scene from :func:`scene.sample_scene`.
        rng (numpy.random.Generator): Source of randomness.
        num (int): Number of captions.

    Returns:
        list[str]: ``num`` lower-case captions of at most 30 words.
    """
    captions: List[str] = []
    seen = set()
    for k in range(300):
        if len(captions) == num:
            break
        slot = _CAPTION_SLOTS[min(len(captions), len(_CAPTION_SLOTS) - 1)]
        if k >= 50:  # slot templates exhausted for this scene; use any
            slot = _CAPTION_SLOTS[-1]
        text = _pick(rng, slot)(scene, rng)
        if not text or len(text.split()) > MAX_CAPTION_WORDS:
            continue
        # Prefer captions that differ in content, not only in synonyms;
        # simple one-object scenes may need to settle for rewordings.
        key = _normalise(text) if k < 150 else text
        if key not in seen and text not in captions:
            seen.add(key)
            captions.append(text)
    if len(captions) < num:  # pragma: no cover - never seen in practice
        raise RuntimeError(f'only {len(captions)} distinct captions')
    return captions


# -------------------------------------------------------------- questions
# answer -> synonyms an annotator might type instead
_ANSWER_SYNONYMS = {
    'large': ('big', ),
    'small': ('little', ),
    'purple': ('violet', ),
    'center': ('middle', ),
    'circle': ('disk', ),
    'diamond': ('rhombus', ),
    'cross': ('plus', ),
    '1': ('one', ),
    '2': ('two', ),
    '3': ('three', ),
    '0': ('none', ),
    'yes': ('yeah', )
}


def _annotate(answer: str, pool: Sequence[str],
              rng: np.random.Generator) -> List[str]:
    """Ten annotator answers: mostly the truth, a few synonyms or mistakes.

    At most three answers deviate, so the truth always keeps a majority of
    at least seven (VQA accuracy 1.0 for the canonical answer).
    """
    answers = [answer] * ANNOTATORS
    noisy = [i for i in range(ANNOTATORS) if rng.random() < 0.1][:3]
    wrong = [a for a in pool if a != answer]
    for i in noisy:
        if answer in _ANSWER_SYNONYMS and rng.random() < 0.5:
            answers[i] = _pick(rng, _ANSWER_SYNONYMS[answer])
        else:
            answers[i] = _pick(rng, wrong)
    return answers


def _q(question: str, answer: str, pool: Sequence[str], qtype: str, atype: str,
       rng: np.random.Generator, key: tuple) -> dict:
    # ``key`` identifies what is asked, so that rewordings of the same
    # question ("how many shapes ..." / "how many objects ...") are not
    # asked twice about one image.
    return dict(
        question=question,
        answer=answer,
        answers=_annotate(answer, pool, rng),
        answer_type=atype,
        question_type=qtype,
        key=key)


def _q_exist(scene: dict, rng: np.random.Generator) -> dict:
    objs = scene['objects']
    want_yes = rng.random() < 0.5
    plural = rng.random() < 0.3
    keys = _pick(rng, (('color', 'shape'), ('size', 'color', 'shape'),
                       ('shape', ), ('color', ), ('size', 'shape')))
    if want_yes:
        obj = objs[int(rng.integers(len(objs)))]
        attrs = {k: obj[k] for k in keys}
    else:
        values = dict(shape=SHAPES, color=tuple(COLORS), size=tuple(SIZES))
        for _ in range(100):
            attrs = {k: _pick(rng, values[k]) for k in keys}
            if not _matches(objs, attrs):
                break
        else:  # every combination present (tiny key sets); fall back
            attrs = {'shape': 'star', 'color': 'red'}
            want_yes = bool(_matches(objs, attrs))
    answer = 'yes' if _matches(objs, attrs) else 'no'
    if plural:
        text = f'are there any {_phrase(attrs, rng, plural=True)}?'
        qtype = 'are there any'
    else:
        words = _phrase(attrs, rng)
        text = f'is there {_article(words)} {words}?'
        qtype = 'is there a'
    return _q(text, answer, ('yes', 'no'), qtype, 'yes/no', rng,
              ('exist', tuple(sorted(attrs.items()))))


def _q_count(scene: dict, rng: np.random.Generator) -> dict:
    objs = scene['objects']
    key = _pick(rng, (None, None, 'color', 'shape', 'size'))
    if key is None:
        attrs = {}
    elif rng.random() < 0.6:  # usually ask about something present
        attrs = {key: objs[int(rng.integers(len(objs)))][key]}
    else:
        values = dict(shape=SHAPES, color=tuple(COLORS), size=tuple(SIZES))
        attrs = {key: _pick(rng, values[key])}
    n = len(_matches(objs, attrs))
    where = _pick(rng, ('are there', 'are in the image', 'can you see'))
    text = f'how many {_phrase(attrs, rng, plural=True)} {where}?'
    return _q(text, _NUMBER_DIGITS[n], ('0', '1', '2', '3'), 'how many',
              'number', rng, ('count', tuple(sorted(attrs.items()))))


def _object_ref(objs: List[dict], idx: int, rng: np.random.Generator,
                exclude: str) -> str | None:
    """"the big circle" / "the shape at the top" without the asked key."""
    generic = 'object' if exclude == 'shape' else None
    if rng.random() < 0.3:
        pos = objs[idx]['position']
        same_cell = [o for o in objs if o['position'] == pos]
        if len(same_cell) == 1:
            noun = generic or _pick(rng, GENERIC_NOUNS)
            return f'the {noun} {_pick(rng, _POSITION_PHRASES[pos])}'
    attrs = _ref_attrs(objs, idx, rng, exclude=(exclude, ), allow_short=False)
    if attrs is None:
        attrs = _ref_attrs(objs, idx, rng, exclude=(exclude, ))
    if attrs is None:
        return None
    return f'the {_phrase(attrs, rng, generic=generic)}'


def _q_attribute(scene: dict, rng: np.random.Generator,
                 key: str) -> dict | None:
    objs = scene['objects']
    idx = int(rng.integers(len(objs)))
    ref = _object_ref(objs, idx, rng, exclude=key)
    if ref is None:
        return None
    answer = objs[idx][key]
    if key == 'color':
        return _q(f'what color is {ref}?', answer, tuple(COLORS),
                  'what color is the', 'other', rng, ('color', idx))
    if key == 'shape':
        text = _pick(rng,
                     (f'what shape is {ref}?', f'what is the shape of {ref}?'))
        qtype = ('what shape is the'
                 if text.startswith('what shape') else 'what is the shape')
        return _q(text, answer, SHAPES, qtype, 'other', rng, ('shape', idx))
    text = _pick(rng, (f'what size is {ref}?', f'is {ref} small or large?'))
    qtype = 'what size is the' if text.startswith('what') else 'is the'
    return _q(text, answer, tuple(SIZES), qtype, 'other', rng, ('size', idx))


def _q_where(scene: dict, rng: np.random.Generator) -> dict:
    objs = scene['objects']
    idx = int(rng.integers(len(objs)))
    attrs = _ref_attrs(objs, idx, rng, allow_short=False)
    text = f'where is the {_phrase(attrs, rng)}?'
    return _q(text, objs[idx]['position'], POSITIONS, 'where is the', 'other',
              rng, ('where', idx))


def _q_relation(scene: dict, rng: np.random.Generator) -> dict | None:
    objs = scene['objects']
    rels = scene['relations']
    if not rels:
        return None
    rel = rels[int(rng.integers(len(rels)))]
    relation = rel['relation']
    answer = 'yes'
    if rng.random() < 0.5:
        # The opposite of a clear relation is clearly false.
        relation, answer = INVERSE_RELATION[relation], 'no'
    a = _ref_attrs(objs, rel['subject'], rng, allow_short=False)
    b = _ref_attrs(objs, rel['object'], rng, allow_short=False)
    text = (f'is the {_phrase(a, rng)} {_pick(rng, RELATION_WORDS[relation])}'
            f' the {_phrase(b, rng)}?')
    pair = tuple(sorted((rel['subject'], rel['object'])))
    return _q(text, answer, ('yes', 'no'), 'is the', 'yes/no', rng,
              ('relation', ) + pair)


def generate_questions(scene: dict,
                       rng: np.random.Generator,
                       num: int = 5) -> List[dict]:
    """VQA questions with ten noisy annotator answers each.

    Every image gets one existence question (yes/no drawn 50/50) and one
    counting question; the rest are drawn from colour, shape, size,
    position and relation questions.

    Args:
        scene (dict): A scene from :func:`scene.sample_scene`.
        rng (numpy.random.Generator): Source of randomness.
        num (int): Number of questions (at most 10).

    Returns:
        list[dict]: Items with ``question``, ``answer`` (the majority,
        canonical answer), ``answers`` (10 strings), ``answer_type`` and
        ``question_type``.
    """
    makers = [
        lambda: _q_attribute(scene, rng, 'color'),
        lambda: _q_attribute(scene, rng, 'shape'),
        lambda: _q_attribute(scene, rng, 'size'),
        lambda: _q_where(scene, rng),
        lambda: _q_relation(scene, rng),
        lambda: _q_count(scene, rng),
    ]
    return _collect_questions(
        [_q_exist(scene, rng), _q_count(scene, rng)], makers, rng, num,
        tries=100)


def _collect_questions(questions: list, makers: list,
                       rng: np.random.Generator, num: int,
                       tries: int) -> List[dict]:
    """Draw question makers until ``num`` distinct questions (by ``key``)
    or ``tries`` draws; a maker may return None (not askable here)."""
    seen = {q['key'] for q in questions}
    for _ in range(tries):
        if len(questions) >= num:
            break
        q = _pick(rng, makers)()
        if q is not None and q['key'] not in seen:
            seen.add(q['key'])
            questions.append(q)
    for q in questions:
        del q['key']
    return questions[:num]
