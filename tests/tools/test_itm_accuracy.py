"""Held-out ITM accuracy (tools/analysis_tools/itm_accuracy.py) on a tiny
Shapes-VL v2 test split and a tiny random model."""
import json

import numpy as np
import pytest
import torch

from semmim.datasets.shapes_vl.world_v2 import caption_true
from semmim.visualization.itm_accuracy import (accuracy_table,
                                               hardest_false, select_pairs)
from semmim.visualization.samples import shapes_vl_samples
from tests.conftest import tiny_checkpoint
from tests.tools.test_analysis_tools import load_tool


@pytest.fixture(scope='module')
def tiny_v2(tmp_path_factory):
    from semmim.datasets.shapes_vl import generate_shapes_vl
    root = tmp_path_factory.mktemp('shapes_vl_v2_itm')
    generate_shapes_vl(str(root), num_train=2, num_val=2, num_test=8,
                       seed=1, num_workers=1, progress=False, world='v2')
    return str(root)


@pytest.fixture(scope='module')
def tiny_itm_model(tmp_path_factory, tiny_v2):
    """(config, checkpoint, always-no checkpoint) of a tiny SemMIM."""
    folder = tmp_path_factory.mktemp('tiny_itm_semmim')
    config, checkpoint, model = tiny_checkpoint(folder, tiny_v2)
    with torch.no_grad():  # an ITM head that always says "no match"
        model.itm_head.fc.weight.zero_()
        model.itm_head.fc.bias.copy_(torch.tensor([1.0, -1.0]))
    always_no = str(folder / 'always_no.pth')
    torch.save(dict(state_dict=model.state_dict()), always_no)
    return config, checkpoint, always_no


def naive_accuracy(pairs):
    """Percent right of ``p_match > 0.5`` per pair group, recomputed."""
    def acc(keep):
        hits = [(p > 0.5) == (y == 1) for p, y, k in zip(
            pairs['p_match'], pairs['label'], pairs['kind']) if keep(y, k)]
        return 100.0 * sum(hits) / len(hits)

    return dict(matched=acc(lambda y, k: y == 1),
                negative=acc(lambda y, k: y == 0),
                negative_caption=acc(lambda y, k: k == 1),
                negative_image=acc(lambda y, k: k == 2),
                overall=acc(lambda y, k: True))


def test_itm_accuracy_v2(tiny_itm_model, tiny_v2, tmp_path, capsys):
    config, checkpoint, always_no = tiny_itm_model
    tool = load_tool('itm_accuracy')
    out = str(tmp_path / 'itm.json')
    report = tool.main([config, checkpoint, '--data-root', tiny_v2,
                        '--no-progress', '--out', out])
    printed = capsys.readouterr().out
    assert 'margin over prior' in printed and 'world v2' in printed
    with open(out) as f:
        assert json.load(f)['accuracy'] == report['accuracy']
    samples = shapes_vl_samples(tiny_v2, 'test')
    n = len(samples)
    pairs, acc = report['pairs'], report['accuracy']
    captions = report['captions']
    # 1 : 2, every image once per kind
    assert pairs['label'] == [1] * n + [0] * 2 * n
    assert acc['num_matched'] == n and acc['num_negative'] == 2 * n
    assert acc['prior'] == pytest.approx(200 / 3)
    for image, caption, label in zip(pairs['image'], pairs['caption'],
                                     pairs['label']):
        # matched pairs are true, hard negatives never
        assert caption_true(captions[caption],
                            samples[image]['scene']) == bool(label)
    # matched captions are the image's own; the negative image differs
    assert all(captions[c] in samples[i]['captions']
               for i, c in zip(pairs['image'][:n], pairs['caption'][:n]))
    assert all(i != j for i, j in zip(range(n), pairs['image'][2 * n:]))
    expected = naive_accuracy(pairs)
    for key, value in expected.items():
        assert acc[key] == pytest.approx(value)
    assert acc['balanced'] == pytest.approx(
        (expected['matched'] + expected['negative']) / 2)
    assert acc['margin'] == pytest.approx(expected['overall'] - 200 / 3)
    p = np.array(pairs['p_match'])
    pos, neg = p[:n], p[n:]
    wins = (pos[:, None] > neg[None]) + 0.5 * (pos[:, None] == neg[None])
    assert acc['auc'] == pytest.approx(100 * wins.mean())
    # a head that always says no scores exactly the prior
    no = tool.main([config, always_no, '--data-root', tiny_v2,
                    '--no-progress', '--out', str(tmp_path / 'no.json')])
    assert max(no['pairs']['p_match']) < 0.5
    assert no['accuracy']['overall'] == pytest.approx(200 / 3)
    assert no['accuracy']['margin'] == pytest.approx(0.0)
    assert no['accuracy']['matched'] == 0.0
    assert no['accuracy']['balanced'] == pytest.approx(50.0)
    assert no['accuracy']['auc'] == pytest.approx(50.0)  # all tied
    # the same pairs: they depend on ITC, not on the ITM head
    assert no['pairs']['caption'] == pairs['caption']


def test_hard_negatives_follow_itc_and_truth():
    sim = np.array([[0.9, 0.8, 0.1, 0.7],
                    [0.2, 0.9, 0.95, 0.1]])
    # row 0: column 0 true -> 1; row 1: columns 2 and 1 true -> 0
    truth = {(0, 0), (1, 2), (1, 1)}
    assert hardest_false(sim, lambda r, c: (r, c) in truth).tolist() == [1,
                                                                          0]
    with pytest.raises(ValueError, match='row 0'):
        hardest_false(sim[:1, :1], lambda r, c: True)
    # three images, two captions each (image = caption // 2); caption 2
    # (image 1's) is also true of image 0, so image 0's hard negative
    # caption is the next best, caption 4
    sim_i2t = np.array([[0.9, 0.1, 0.8, 0.2, 0.5, 0.3],
                        [0.1, 0.2, 0.9, 0.7, 0.1, 0.6],
                        [0.3, 0.6, 0.2, 0.1, 0.9, 0.4]])
    owner = np.arange(6) // 2
    pairs = select_pairs(
        sim_i2t, owner,
        lambda t, i: owner[t] == i or (t, i) == (2, 0), seed=3)
    matched = pairs['caption'][:3]
    assert [owner[t] for t in matched] == [0, 1, 2]
    assert pairs['caption'][3] == 4
    assert pairs['caption'][4] == int(np.argmax(
        np.where(owner == 1, -1, sim_i2t[1])))
    # negative images: best other image of each matched caption
    for m, t in enumerate(matched):
        col = sim_i2t[:, t].copy()
        col[m] = -1
        if t == 2:
            col[0] = -1  # true of image 0 too
        assert pairs['image'][6 + m] == int(np.argmax(col))
    table = accuracy_table(np.array([0.9, 0.2, 0.6, 0.1, 0.4, 0.7]),
                           np.array([1, 1, 0, 0, 0, 0]),
                           np.array([0, 0, 1, 1, 2, 2]))
    assert table['matched'] == 50.0 and table['negative'] == 50.0
    assert table['negative_caption'] == 50.0
    assert table['overall'] == 50.0 and table['prior'] == pytest.approx(
        200 / 3)
    # 0.9 beats all four negatives, 0.2 only 0.1: 5 of 8
    assert table['auc'] == pytest.approx(62.5)
    tied = accuracy_table(np.array([0.5, 0.5, 0.2]), np.array([1, 0, 0]),
                          np.array([0, 1, 2]))
    assert tied['auc'] == pytest.approx(75.0)


def test_itm_accuracy_v1_fallback(tiny_itm_model, tiny_shapes, tmp_path,
                                  capsys):
    config, checkpoint, _ = tiny_itm_model
    report = load_tool('itm_accuracy').main(
        [config, checkpoint, '--data-root', tiny_shapes, '--no-progress',
         '--out', str(tmp_path / 'v1.json')])
    assert report['world'] == 'v1'
    assert "own captions" in capsys.readouterr().out
    samples = shapes_vl_samples(tiny_shapes, 'test')
    n = len(samples)
    pairs = report['pairs']
    captions = report['captions']
    for image, caption, label in zip(pairs['image'], pairs['caption'],
                                     pairs['label']):
        own = captions[caption] in samples[image]['captions']
        assert own == bool(label)
    assert report['accuracy']['num_negative'] == 2 * n
