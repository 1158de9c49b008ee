"""Tests of Shapes-VL v2 (``--world v2``) and its semantic figures.

Caption truth is checked against the scene geometry with code written here
(quadrants from object centres, word mentions from the published word
lists), and the fast oracle figures of the generator against a naive
computation over every (caption, image) pair.
"""
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest

from semmim.datasets.shapes_vl import generate_shapes_vl, render_label_map
from semmim.datasets.shapes_vl import world_v2 as v2
from semmim.datasets.shapes_vl.cli import main as cli_main
from semmim.datasets.shapes_vl.semantics import (VIEWS, project, recall_at_1,
                                                 split_semantics, view_recall)
from semmim.datasets.shapes_vl.writer import dataset_settings

SIZES = dict(num_train=16, num_val=4, num_test=30)
SPLITS = ('train', 'val', 'test')


def _generate(out_dir, **kwargs):
    args = dict(SIZES, progress=False, num_workers=1, world='v2')
    args.update(kwargs)
    return generate_shapes_vl(str(out_dir), **args)


def _hashes(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            with open(osp.join(folder, name), 'rb') as f:
                out[osp.relpath(osp.join(folder, name), root)] = (
                    hashlib.sha256(f.read()).hexdigest())
    return out


def _load(root, rel):
    with open(osp.join(root, rel), encoding='utf-8') as f:
        return json.load(f)


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes_v2') / 'ds'
    _generate(root)
    return str(root)


def _split(dataset, split):
    scenes = _load(dataset, f'annotations/scenes_{split}.json')
    if split == 'train':
        items = _load(dataset, 'annotations/pretrain_train.json')
    else:
        items = _load(dataset, f'annotations/retrieval_{split}.json')
    return scenes, [it['caption'] for it in items]


def test_v2_deterministic_and_v1_settings_unchanged(dataset, tmp_path):
    ref = _hashes(dataset)
    _generate(tmp_path / 'again', num_workers=2)
    assert _hashes(tmp_path / 'again') == ref
    meta = _load(dataset, 'meta.json')
    assert meta['world'] == 'v2' and meta['image_size'] == 64
    assert meta['generator_version'] == v2.VERSION
    for rel in meta['files']:
        assert osp.isfile(osp.join(dataset, rel)), rel
    # v1's settings (and so its meta.json) do not know about worlds
    v1 = dataset_settings(dict(train=1, val=1, test=1), 128, 0)
    assert 'world' not in v1 and v1['generator_version'] == '1.0.0'
    with pytest.raises(ValueError, match='world'):
        dataset_settings(dict(train=1, val=1, test=1), 64, 0, 'v3')


def test_v2_scenes_follow_the_design(dataset):
    for split in SPLITS:
        scenes, _ = _split(dataset, split)
        for scene in scenes:
            objs = scene['objects']
            assert 2 <= len(objs) <= 3
            assert len({(o['color'], o['shape']) for o in objs}) == len(objs)
            assert len({o['position'] for o in objs}) == len(objs)
            half = scene['width'] / 2
            labels = render_label_map(scene)
            for k, o in enumerate(objs):
                x, y = o['center']
                quadrant = (('top', 'bottom')[y >= half] + ' ' +
                            ('left', 'right')[x >= half])
                assert o['position'] == quadrant
                assert o['color'] in v2.COLORS and o['shape'] in v2.SHAPES
                # the object's pixels all lie inside its own quadrant
                ys, xs = np.nonzero(labels == k + 1)
                assert len(ys) > 50
                assert ((xs >= half) == (x >= half)).all()
                assert ((ys >= half) == (y >= half)).all()


def _mentions(text):
    """(colour, shape) pairs named in a caption, by the word lists."""
    words = f' {text.replace(",", " ").replace(":", " ")} '
    found = []
    for color in v2.COLOR_WORDS:
        for shape, forms in v2.SHAPE_WORDS.items():
            for form in forms:
                found += [(color, shape)] * words.count(f' {color} {form} ')
    return sorted(found)


def test_v2_captions_are_complete_and_true(dataset):
    for split in SPLITS:
        scenes, captions = _split(dataset, split)
        for scene, caps in zip(scenes, captions):
            assert len(caps) == len(set(caps)) == 5
            truth = sorted((o['color'], o['shape']) for o in scene['objects'])
            for text in caps:
                assert _mentions(text) == truth, text
                assert v2.caption_true(text, scene), text
                assert v2.caption_pieces(text) <= v2.MAX_CAPTION_PIECES


def test_parse_caption_reads_relations_and_rejects_others():
    meaning = v2.parse_caption(
        'three shapes: a red disk to the right of a blue box at the bottom '
        'and in the upper left corner there is a green plus sign')
    assert meaning == {('red', 'circle', 'bottom right'),
                       ('blue', 'square', 'bottom left'),
                       ('green', 'cross', 'top left')}
    assert v2.parse_caption('a yellow triangle below a red cross on the '
                            'right') == {('yellow', 'triangle',
                                          'bottom right'),
                                         ('red', 'cross', 'top right')}
    for bad in ('a red circle', 'two shapes: a red circle at the top left',
                'a red circle to the left of a blue square on the left',
                'a cat on a mat'):
        with pytest.raises(ValueError, match='v2 caption'):
            v2.parse_caption(bad)


def test_oracle_recall_hand_made():
    # images 0 and 1 look the same to the retriever, image 2 differs; one
    # caption per image, true of the images with its meaning
    keys = ['a', 'a', 'b']
    truth = np.array([[k == c for k in keys] for c in keys])
    ref = recall_at_1(truth, [0, 1, 2])
    # each of 0 / 1 ties with the other: hit with probability 1/2
    assert ref == dict(tr_r1=66.67, ir_r1=66.67, mean=66.67)
    assert view_recall(keys, keys, [0, 1, 2]) == ref
    # two captions for image 0, one of them wrong (true of no image): TR of
    # image 0 is 1/2 (its true caption ties with image 1's), IR of the
    # wrong caption is chance (1/3)
    caps, gt = ['a', 'z', 'a', 'b'], [0, 0, 1, 2]
    truth = np.array([[k == c for k in keys] for c in caps])
    ref = recall_at_1(truth, gt)
    assert ref['tr_r1'] == pytest.approx(100 * (1 / 2 + 1 / 2 + 1) / 3,
                                         abs=0.01)
    assert ref['ir_r1'] == pytest.approx(100 * (1 / 2 + 1 / 3 + 1 / 2 + 1) /
                                         4, abs=0.01)
    assert view_recall(keys, caps, gt) == ref


def _r1(rec):
    return {k: rec[k] for k in ('tr_r1', 'ir_r1', 'mean')}


def _sampled_recall(keys, caps, gt, k, draws=4000, seed=0):
    """Monte-Carlo TR / IR R@k of the 0/1 retriever, ties at random."""
    rng = np.random.default_rng(seed)
    truth = np.array([[a == c for a in keys] for c in caps], float)
    gt = np.asarray(gt)
    tr = ir = 0.0
    for _ in range(draws):
        noisy = truth + 0.5 * rng.random(truth.shape)  # random tie order
        top_i = np.argsort(-noisy, axis=1)[:, :k]
        ir += np.mean([gt[c] in top_i[c] for c in range(len(caps))])
        top_c = np.argsort(-noisy, axis=0)[:k]
        tr += np.mean([np.any(gt[top_c[:, i]] == i)
                       for i in range(len(keys))])
    return 100 * tr / draws, 100 * ir / draws


def test_oracle_recall_at_k_matches_sampling():
    keys = ['a', 'a', 'b', 'a', 'c', 'c', 'd']
    caps = ['a', 'a', 'z', 'b', 'a', 'c', 'c', 'd', 'y']
    gt = [0, 1, 1, 2, 3, 4, 5, 6, 6]
    rec = view_recall(keys, caps, gt, ks=(1, 2, 5))
    assert _r1(rec) == view_recall(keys, caps, gt)
    for k in (1, 2, 5):
        tr, ir = _sampled_recall(keys, caps, gt, k)
        assert rec[f'tr_r{k}'] == pytest.approx(tr, abs=1.5)
        assert rec[f'ir_r{k}'] == pytest.approx(ir, abs=1.5)
    assert rec['mean_recall'] == pytest.approx(np.mean(
        [rec[f'{d}_r{k}'] for d in ('tr', 'ir') for k in (1, 2, 5)]),
        abs=0.01)


def test_semantics_match_a_naive_computation(dataset):
    scenes, captions = _split(dataset, 'test')
    sem = split_semantics(scenes, captions)
    assert sem == _load(dataset, 'meta.json')['semantics']['test']
    texts = [t for caps in captions for t in caps]
    gt = [i for i, caps in enumerate(captions) for _ in caps]
    truth = np.array([[v2.caption_true(t, s) for s in scenes]
                      for t in texts])
    assert recall_at_1(truth, gt) == _r1(sem['oracle'])
    others = truth.sum() - truth[np.arange(len(texts)), gt].sum()
    assert sem['caption_ambiguity'] == pytest.approx(
        100 * others / (len(texts) * (len(scenes) - 1)), abs=1e-4)
    # the colour-only retriever: multisets of colours, compared naively
    colours = [sorted(o['color'] for o in s['objects']) for s in scenes]
    truth = np.array([[sorted(c for c, _, _ in v2.parse_caption(t)) == col
                       for col in colours] for t in texts])
    assert recall_at_1(truth, gt) == _r1(sem['colour_oracle'])
    assert set(VIEWS) <= set(sem)


def test_oracle_thresholds_at_the_real_size():
    # the scenes and captions of the default 500-image test split (seed 0),
    # drawn as the writer draws them, without rendering
    scenes, captions = [], []
    for i in range(500):
        scene = v2.sample_scene(np.random.default_rng([0, 2, i, 0]), 64)
        scenes.append(scene)
        captions.append(
            v2.generate_captions(scene, np.random.default_rng([0, 2, i, 1])))
    sem = split_semantics(scenes, captions)
    assert sem['captions_true_of_own_image'] == 100
    assert sem['oracle']['tr_r1'] >= 95 and sem['oracle']['ir_r1'] >= 95
    assert sem['colour_oracle']['mean'] <= 30
    # shape and layout each matter: without either, far from the oracle
    assert sem['no_shape_oracle']['mean'] < sem['oracle']['mean'] - 20
    assert sem['no_layout_oracle']['mean'] < sem['oracle']['mean'] - 20


def test_project_is_a_multiset_view():
    m = frozenset({('red', 'circle', 'top left'),
                   ('red', 'square', 'top right')})
    assert project(m, 'colour_oracle') == (('red', ), ('red', ))
    assert project(m, 'no_layout_oracle') == (('red', 'circle'),
                                              ('red', 'square'))


def test_cli_v2_defaults(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ['--world', 'v2', '--num-train', '3', '--num-val', '2',
            '--num-test', '2', '--no-progress']
    assert cli_main(args) == 0
    meta = _load(tmp_path / 'data' / 'shapes_vl_v2', 'meta.json')
    assert meta['world'] == 'v2' and meta['image_size'] == 64
    out = capsys.readouterr().out
    assert 'test: caption ambiguity' in out and 'colour_oracle R@1' in out
    assert cli_main(args) == 0  # complete: reused, figures printed again
    assert 'nothing to do' in capsys.readouterr().out
    assert not (tmp_path / 'data' / 'shapes_vl').exists()


def test_probe_variants_change_one_attribute_of_one_object(dataset):
    from semmim.visualization.attributes_v2 import variant_captions
    scenes, _ = _split(dataset, 'test')
    colors, shapes = list(v2.COLORS), list(v2.SHAPES)
    for scene in scenes[:10]:
        truth = v2.scene_meaning(scene)
        assert v2.parse_caption(v2.describe(scene['objects'])) == truth
        captions, index = variant_captions(scene, colors, shapes)
        assert len(captions) == len(scene['objects']) * 8
        for k, entry in enumerate(index):
            obj = scene['objects'][k]
            for key, values in (('color', colors), ('shape', shapes)):
                start, true = entry[key]
                for j, value in enumerate(values):
                    meaning = v2.parse_caption(captions[start + j])
                    changed = dict(obj, **{key: value})
                    expect = (truth - {(obj['color'], obj['shape'],
                                        obj['position'])}) | {
                                            (changed['color'],
                                             changed['shape'],
                                             obj['position'])}
                    assert meaning == expect
                    assert (meaning == truth) == (j == true)
