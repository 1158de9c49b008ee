"""Tests of the Shapes-VL synthetic dataset generator.

The truth checks parse captions and questions back with the generator's
published word lists (``meta.json``) and re-derive every spatial fact from
the scene geometry with code written here, independent of the generator's
own decision functions.
"""
import ast
import collections
import hashlib
import json
import os
import os.path as osp
import runpy
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from semmim.datasets.shapes_vl import (COLORS, SHAPES, generate_captions,
                                       generate_questions, generate_shapes_vl,
                                       render_label_map, render_scene,
                                       sample_scene)

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SIZES = dict(num_train=20, num_val=5, num_test=5)
SPLITS = ('train', 'val', 'test')


def _generate(out_dir, **kwargs):
    args = dict(SIZES, progress=False, num_workers=1)
    args.update(kwargs)
    return generate_shapes_vl(str(out_dir), **args)


def _hashes(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path,
                                root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def _load(root, rel):
    with open(osp.join(root, rel), encoding='utf-8') as f:
        return json.load(f)


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes') / 'ds'
    summary = _generate(root)
    assert not summary['skipped']
    return str(root)


@pytest.fixture(scope='module')
def meta(dataset):
    return _load(dataset, 'meta.json')


@pytest.fixture(scope='module')
def scenes(dataset):
    return {s: _load(dataset, f'annotations/scenes_{s}.json') for s in SPLITS}


# ------------------------------------------------------------- determinism
def test_determinism(dataset, tmp_path):
    ref = _hashes(dataset)
    assert len(ref) == sum(SIZES.values()) + 23  # images + 22 json + meta
    _generate(tmp_path / 'again')
    assert _hashes(tmp_path / 'again') == ref
    _generate(tmp_path / 'two_workers', num_workers=2)
    assert _hashes(tmp_path / 'two_workers') == ref
    _generate(tmp_path / 'other_seed', seed=1)
    other = _hashes(tmp_path / 'other_seed')
    assert other.keys() == ref.keys()
    differing = [k for k in ref if ref[k] != other[k]]
    assert 'images/train/000000.png' in differing
    assert 'annotations/pretrain_train.json' in differing


def test_idempotent_and_overwrite_rules(dataset, tmp_path):
    before = _hashes(dataset)
    summary = _generate(dataset)
    assert summary['skipped']
    assert _hashes(dataset) == before
    with pytest.raises(FileExistsError):  # other settings need overwrite
        _generate(dataset, seed=5)
    # A missing file makes the dataset incomplete: it is rebuilt, identically.
    os.remove(osp.join(dataset, 'images', 'val', '000003.png'))
    assert not _generate(dataset)['skipped']
    assert _hashes(dataset) == before
    foreign = tmp_path / 'foreign'
    (foreign / 'images').mkdir(parents=True)
    with pytest.raises(FileExistsError):  # never write into unknown data
        _generate(foreign)


def test_no_torch_import():
    # Static check: importing `semmim` may load torch, but the generator's
    # own modules must not depend on it.
    pkg = osp.join(REPO, 'semmim', 'datasets', 'shapes_vl')
    for name in os.listdir(pkg):
        if name.endswith('.py'):
            with open(osp.join(pkg, name)) as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    mods = [node.module or '']
                else:
                    continue
                assert not any(m.split('.')[0] == 'torch' for m in mods), name


# ----------------------------------------------------------------- formats
def test_layout_and_karpathy_formats(dataset, meta):
    for rel in meta['files']:
        assert osp.isfile(osp.join(dataset, rel)), rel
    n = dict(
        train=SIZES['num_train'], val=SIZES['num_val'], test=SIZES['num_test'])
    assert meta['num_images'] == n and meta['complete']
    pretrain = _load(dataset, 'annotations/pretrain_train.json')
    assert len(pretrain) == n['train']
    for item in pretrain:
        assert osp.isfile(osp.join(dataset, item['image']))
        assert len(item['caption']) == len(set(item['caption'])) == 5
        assert all(len(c.split()) <= 30 for c in item['caption'])
    for name in ('retrieval_train', 'caption_train'):
        per_caption = _load(dataset, f'annotations/{name}.json')
        counts = collections.Counter(e['image_id'] for e in per_caption)
        assert len(counts) == n['train']
        assert set(counts.values()) == {5}
        assert isinstance(per_caption[0]['caption'], str)
    for split in ('val', 'test'):
        retrieval = _load(dataset, f'annotations/retrieval_{split}.json')
        assert len(retrieval) == n[split]
        assert all(len(e['caption']) == 5 for e in retrieval)
    with Image.open(osp.join(dataset, pretrain[0]['image'])) as img:
        assert img.mode == 'RGB' and img.size == (128, 128)
    answers = _load(dataset, 'annotations/answer_list.json')
    train_answers = {
        a
        for q in _load(dataset, 'annotations/vqa_train.json')
        for a in q['answer']
    }
    assert answers == sorted(train_answers)


def test_coco_caption_gt(dataset):
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocotools.coco import COCO
    for split in ('val', 'test'):
        coco = COCO(osp.join(dataset, f'annotations/caption_{split}_gt.json'))
        karpathy = _load(dataset, f'annotations/caption_{split}.json')
        assert len(coco.getImgIds()) == len(karpathy)
        gts, res = {}, {}
        for entry in karpathy:
            iid = entry['image_id']
            assert iid in coco.imgs
            assert coco.imgs[iid]['file_name'] == entry['image']
            caps = [a['caption'] for a in coco.imgToAnns[iid]]
            assert caps == entry['caption']
            gts[iid] = caps
            res[iid] = caps[:1]
        bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
        assert bleu[0] == pytest.approx(1.0)


def test_vqa_formats(dataset):
    all_qids = set()
    for split in SPLITS:
        qfile = _load(
            dataset, f'annotations/v2_OpenEnded_shapes_{split}_questions.json')
        afile = _load(dataset,
                      f'annotations/v2_shapes_{split}_annotations.json')
        albef = _load(dataset, f'annotations/vqa_{split}.json')
        assert qfile['task_type'] == 'Open-Ended'
        assert qfile['data_subtype'] == afile['data_subtype'] == split
        qids = [q['question_id'] for q in qfile['questions']]
        assert qids == [a['question_id'] for a in afile['annotations']]
        assert qids == [q['question_id'] for q in albef]
        assert len(qids) == len(set(qids)) == 5 * SIZES[f'num_{split}']
        assert not all_qids & set(qids)
        all_qids |= set(qids)
        for q, a, b in zip(qfile['questions'], afile['annotations'], albef):
            assert q['image_id'] == a['image_id'] == b['image_id']
            assert q['question'] == b['question']
            assert [x['answer'] for x in a['answers']] == b['answer']
            assert [x['answer_id'] for x in a['answers']] == list(range(1, 11))
            top, count = collections.Counter(b['answer']).most_common(1)[0]
            assert a['multiple_choice_answer'] == top and count >= 6
            assert b['answer_type'] in ('yes/no', 'number', 'other')
            assert a['question_type'] == b['question_type']


# ------------------------------------------------------------------- truth
def _lexicon(words):
    """surface phrase (tuple of tokens) -> (category, canonical value)."""
    lex = {}

    def add(form, cat, value):
        lex[tuple(form.split())] = (cat, value)

    for cat in ('sizes', 'colors', 'positions', 'relations'):
        for canon, forms in words[cat].items():
            for form in forms:
                add(form, cat[:-1], canon)
    for canon, forms in words['shapes'].items():
        for form in forms:
            add(form, 'shape', canon)
            add(words['plurals'][form], 'shapes', canon)
    for noun in words['generic_nouns']:
        add(noun, 'noun', None)
        add(words['plurals'][noun], 'nouns', None)
    for n, forms in words['numbers'].items():
        for form in forms:
            add(form, 'number', int(n))
    return lex


def _tokens(text, lex):
    for ch in ',.:;?':
        text = text.replace(ch, ' ')
    toks = text.split()
    longest = max(len(k) for k in lex)
    i, out = 0, []
    while i < len(toks):
        for n in range(longest, 0, -1):
            if tuple(toks[i:i + n]) in lex:
                out.append(lex[tuple(toks[i:i + n])])
                i += n
                break
        else:
            out.append(('word', toks[i]))
            i += 1
    return out


class Geometry:
    """Independent spatial facts about one scene."""

    def __init__(self, scene, spatial):
        self.objs = scene['objects']
        self.size = scene['width']
        self.margin = spatial['relation_margin']
        self.dominance = spatial['relation_dominance']

    def cell(self, i):
        x, y = self.objs[i]['center']
        col = min(int(x * 3 // self.size), 2)
        row = min(int(y * 3 // self.size), 2)
        vertical = ('top', '', 'bottom')[row]
        horizontal = ('left', '', 'right')[col]
        return ' '.join(w for w in (vertical, horizontal) if w) or 'center'

    def holds(self, a, relation, b):
        (xa, ya), (xb, yb) = self.objs[a]['center'], self.objs[b]['center']
        along = {
            'left of': xb - xa,
            'right of': xa - xb,
            'above': yb - ya,
            'below': ya - yb
        }[relation] / self.size
        across = (ya - yb if relation in ('left of',
                                          'right of') else xa - xb) / self.size
        return along >= self.margin and along >= self.dominance * abs(across)

    def match(self, attrs, position=None):
        return [
            i for i, o in enumerate(self.objs)
            if all(o[k] == v for k, v in attrs.items()) and (
                position is None or self.cell(i) == position)
        ]


def _check_caption(text, geo, lex):
    attrs, number, group, pending = {}, None, None, None

    def flush():  # attributes not followed by a noun are predicates
        nonlocal attrs
        if attrs:
            assert group, text
            assert all(geo.objs[i][k] == v for i in group
                       for k, v in attrs.items()), text
        attrs = {}

    spatial = False
    for cat, value in _tokens(text, lex):
        if cat in ('size', 'color'):
            attrs[cat] = value
        elif cat in ('shape', 'shapes', 'noun', 'nouns'):
            if cat in ('shape', 'shapes'):
                attrs['shape'] = value
            found = geo.match(attrs)
            if number is not None:
                assert len(found) == number, text
            elif cat in ('shape', 'noun'):  # singular: unique referent
                assert len(found) == 1, text
            else:
                assert found, text
            if pending is not None:
                for a in pending[0]:
                    for b in found:
                        assert geo.holds(a, pending[1], b), text
                pending = None
            group, attrs, number = found, {}, None
        elif cat == 'number':
            flush()
            number = value
        elif cat == 'position':
            flush()
            assert group, text
            assert all(geo.cell(i) == value for i in group), text
            spatial = True
        elif cat == 'relation':
            flush()
            assert group, text
            pending = (group, value)
            spatial = True
        else:
            flush()
    flush()
    assert pending is None and number is None, text
    return spatial


def test_captions_are_true(dataset, meta, scenes):
    lex = _lexicon(meta['vocab']['words'])
    for split in SPLITS:
        karpathy = (
            _load(dataset, 'annotations/pretrain_train.json')
            if split == 'train' else _load(
                dataset, f'annotations/retrieval_{split}.json'))
        for entry, scene in zip(karpathy, scenes[split]):
            assert entry['image'] == scene['image']
            geo = Geometry(scene, meta['spatial'])
            spatial = [_check_caption(c, geo, lex) for c in entry['caption']]
            assert sum(spatial) >= 1, entry['caption']


def _answer(q, geo, lex):
    """Re-derive the correct answer of a question from the geometry."""
    text, qtype = q['question'], q['question_type']
    prefixes = {
        'what shape is the': 'what shape is ',
        'what is the shape': 'what is the shape of '
    }
    body = text[len(prefixes.get(qtype, '')):].replace('small or large', '')
    toks = _tokens(body, lex)
    attrs = {
        c: v
        for c, v in toks if c in ('size', 'color', 'shape', 'shapes')
    }
    if 'shapes' in attrs:
        attrs['shape'] = attrs.pop('shapes')
    pos = [v for c, v in toks if c == 'position']
    rel = [v for c, v in toks if c == 'relation']
    if qtype in ('is there a', 'are there any'):
        return 'yes' if geo.match(attrs) else 'no'
    if qtype == 'how many':
        return str(len(geo.match(attrs)))
    if rel:  # "is the A left of the B?"
        cut = [c for c, _ in toks].index('relation')
        refs = []
        for part in (toks[:cut], toks[cut + 1:]):
            a = {c: v for c, v in part if c in ('size', 'color', 'shape')}
            found = geo.match(a)
            assert len(found) == 1, text
            refs.append(found[0])
        return 'yes' if geo.holds(refs[0], rel[0], refs[1]) else 'no'
    found = geo.match(attrs, pos[0] if pos else None)
    assert len(found) == 1, text
    obj = geo.objs[found[0]]
    if qtype == 'where is the':
        return geo.cell(found[0])
    if qtype == 'what color is the':
        return obj['color']
    if qtype in prefixes:
        return obj['shape']
    assert 'size' in qtype or qtype == 'is the', text
    return obj['size']


def test_vqa_answers_are_true(dataset, meta, scenes):
    lex = _lexicon(meta['vocab']['words'])
    seen_types = set()
    for split in SPLITS:
        by_image = {s['image_id']: s for s in scenes[split]}
        for q in _load(dataset, f'annotations/vqa_{split}.json'):
            geo = Geometry(by_image[q['image_id']], meta['spatial'])
            majority = collections.Counter(q['answer']).most_common(1)[0][0]
            assert majority == _answer(q, geo, lex), q
            seen_types.add(q['question_type'])
    assert {'how many', 'where is the', 'what color is the'} <= seen_types


def test_question_balance():
    yes = no = 0
    types = collections.Counter()
    for i in range(300):
        scene = sample_scene(np.random.default_rng([7, i]), 96)
        rng = np.random.default_rng([8, i])
        assert len(generate_captions(scene, rng)) == 5
        for q in generate_questions(scene, rng):
            types[q['answer_type']] += 1
            if q['question_type'] in ('is there a', 'are there any'):
                yes += q['answer'] == 'yes'
                no += q['answer'] == 'no'
    assert 0.4 < yes / (yes + no) < 0.6
    assert set(types) == {'yes/no', 'number', 'other'}


# -------------------------------------------------------------- geometry
def test_saved_images_match_scene_json(dataset, scenes):
    for scene in scenes['val']:
        with Image.open(osp.join(dataset, scene['image'])) as img:
            saved = np.asarray(img)
        assert np.array_equal(saved, np.asarray(render_scene(scene)))


@pytest.mark.parametrize('image_size', [64, 96, 128])
def test_scene_geometry_and_label_map(image_size):
    for i in range(25):
        scene = sample_scene(
            np.random.default_rng([3, image_size, i]), image_size)
        objs = scene['objects']
        assert 1 <= len(objs) <= 3
        pairs = {(o['shape'], o['color']) for o in objs}
        assert len(pairs) == len(objs)
        assert all(o['shape'] in SHAPES and o['color'] in COLORS for o in objs)
        for a in range(len(objs)):
            x, y = objs[a]['center']
            r = objs[a]['radius']
            assert r <= x <= image_size - r and r <= y <= image_size - r
            for b in range(a + 1, len(objs)):
                xb, yb = objs[b]['center']
                assert np.hypot(x - xb, y - yb) > r + objs[b]['radius']
        labels = render_label_map(scene)
        image = np.asarray(render_scene(scene)).astype(int)
        assert labels.shape == (image_size, image_size)
        assert len(np.unique(labels)) == len(objs) + 1
        for k, obj in enumerate(objs, start=1):
            ys, xs = np.nonzero(labels == k)
            x0, y0, x1, y1 = obj['bbox']
            assert xs.min() >= x0 and xs.max() < x1
            assert ys.min() >= y0 and ys.max() < y1
            # interior pixels (all 4 neighbours same object) carry the colour
            inner = labels == k
            inner[1:-1,
                  1:-1] &= ((labels[:-2, 1:-1] == k) & (labels[2:, 1:-1] == k)
                            & (labels[1:-1, :-2] == k) &
                            (labels[1:-1, 2:] == k))
            colour = np.median(image[inner], axis=0)
            assert np.abs(colour - COLORS[obj['color']]).max() <= 20
            assert np.abs(colour - obj['rgb']).max() <= 4


# --------------------------------------------------------------------- CLI
def test_cli_end_to_end(tmp_path, monkeypatch, capsys):
    out = str(tmp_path / 'cli')
    args = [
        '--out-dir', out, '--num-train', '6', '--num-val', '2', '--num-test',
        '2', '--image-size', '96', '--seed', '3', '--no-progress'
    ]
    script = osp.join(REPO, 'tools', 'dataset_converters',
                      'generate_shapes_vl.py')
    first = subprocess.run([sys.executable, script, *args, '--preview'],
                           cwd=REPO,
                           capture_output=True,
                           text=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    assert 'Done in' in first.stdout
    assert osp.isfile(osp.join(out, 'preview.png'))
    before = _hashes(out)
    # Second run as `python -m semmim.datasets.shapes_vl`, in-process since
    # a second interpreter start (importing semmim) costs seconds: same
    # settings, so nothing is redone.
    monkeypatch.setattr(sys, 'argv', ['shapes_vl', *args])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module('semmim.datasets.shapes_vl', run_name='__main__')
    assert exc.value.code == 0
    assert 'already complete' in capsys.readouterr().out
    assert _hashes(out) == before


# ------------------------------------------------------------------ subset
def test_object_count_subset(tiny_shapes, tmp_path):
    from semmim.datasets.shapes_vl.subset import (subset_by_object_count,
                                                  write_subset)
    ann = osp.join(tiny_shapes, 'annotations')
    with open(osp.join(ann, 'pretrain_train.json')) as f:
        entries = json.load(f)
    with open(osp.join(ann, 'scenes_train.json')) as f:
        scenes = json.load(f)
    count = {s['image']: len(s['objects']) for s in scenes}
    expected = [e for e in entries if count[e['image']] == 1]
    assert 0 < len(expected) < len(entries)
    kept = write_subset(tiny_shapes, 'annotations/one.json', max_objects=1)
    assert kept == expected
    with open(osp.join(ann, 'one.json')) as f:
        assert json.load(f) == expected
    two_up = subset_by_object_count(entries, scenes, 3, min_objects=2)
    assert len(two_up) + len(expected) == len(entries)
    with pytest.raises(KeyError, match=r'x\.json: entry 1: field "image"'):
        subset_by_object_count(
            [entries[0], dict(image='images/train/missing.png')], scenes, 1,
            ann_file='x.json')


def test_object_count_subset_cli(tiny_shapes, capsys):
    tool = runpy.run_path(
        osp.join(REPO, 'tools', 'dataset_converters', 'shapes_vl_subset.py'))
    assert tool['main']([
        '--data-root', tiny_shapes, '--min-objects', '2', '--max-objects',
        '3', '--out', 'annotations/multi.json'
    ]) == 0
    assert 'images with 2-3 objects' in capsys.readouterr().out
    with open(osp.join(tiny_shapes, 'annotations', 'multi.json')) as f:
        multi = json.load(f)
    with open(osp.join(tiny_shapes, 'annotations', 'scenes_train.json')) as f:
        count = {s['image']: len(s['objects']) for s in json.load(f)}
    assert multi and all(count[e['image']] >= 2 for e in multi)
