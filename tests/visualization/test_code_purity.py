"""Purity and patch labels against hand-worked cases."""
import numpy as np
import pytest

from semmim.visualization import code_purity
from semmim.visualization.code_purity import (BACKGROUND, compare_purity,
                                              patch_labels, purity,
                                              random_purity)


def test_purity_hand_worked():
    codes = np.array([0, 0, 0, 1, 1, 2])
    labels = np.array(['a', 'a', 'b', 'b', 'b', 'c'])
    # code 0 -> a (2 of 3), code 1 -> b (2), code 2 -> c (1): 5 / 6
    assert purity(codes, labels) == pytest.approx(5 / 6)
    assert purity(np.zeros(6, int), labels) == pytest.approx(3 / 6)
    assert purity(np.arange(6), labels) == 1.0
    with pytest.raises(ValueError):
        purity(codes, labels[:3])


def test_random_purity_keeps_histogram_and_is_lower():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 400)
    codes = labels.copy()  # perfectly pure
    rnd = random_purity(codes, labels, repeats=5)
    assert purity(codes, labels) == 1.0
    assert rnd['mean'] < 0.4 and rnd['std'] >= 0


def _scene(objects):
    return dict(width=4, height=4, objects=objects)


def test_patch_labels_threshold(monkeypatch):
    # 4 x 4 label map, 2 x 2 grid of 2 x 2 patches
    label_map = np.array([[1, 1, 1, 0],
                          [1, 1, 1, 0],
                          [0, 2, 0, 2],
                          [0, 0, 2, 2]])
    import semmim.datasets.shapes_vl as shapes_vl
    monkeypatch.setattr(shapes_vl, 'render_label_map', lambda s: label_map)
    scene = _scene([dict(shape='circle', color='red'),
                    dict(shape='star', color='blue')])
    labels = patch_labels(scene, grid=2)
    # (0,0) all object 1; (0,1) half object 1 -> object (>= 0.5);
    # (1,0) one pixel of object 2 -> background; (1,1) 3 pixels of 2
    assert labels['shape'].tolist() == [['circle', 'circle'],
                                        [BACKGROUND, 'star']]
    assert labels['color'][1, 1] == 'blue'
    assert labels['shape+color'][0, 0] == 'red circle'
    assert labels['object'].tolist() == [['object', 'object'],
                                         [BACKGROUND, 'object']]
    strict = patch_labels(scene, grid=2, min_fraction=0.75)
    assert strict['object'][0, 1] == BACKGROUND
    with pytest.raises(ValueError):
        patch_labels(scene, grid=3)


def test_patch_labels_on_generated_scene():
    from semmim.datasets.shapes_vl import render_label_map, sample_scene
    scene = sample_scene(np.random.default_rng(3), image_size=64)
    labels = patch_labels(scene, grid=8)
    label_map = render_label_map(scene)
    for r in range(8):
        for c in range(8):
            block = label_map[8 * r:8 * r + 8, 8 * c:8 * c + 8]
            counts = np.bincount(block.ravel(), minlength=4)[1:]
            if counts.max() >= 32:
                obj = scene['objects'][counts.argmax()]
                assert labels['shape'][r, c] == obj['shape']
            else:
                assert labels['shape'][r, c] == BACKGROUND


def test_compare_purity_with_baselines():
    rng = np.random.default_rng(0)
    shapes = np.array(['circle', 'star', BACKGROUND])
    lab = shapes[rng.integers(0, 3, (6, 4, 4))]
    labels = {space: lab.copy() for space in code_purity.LABEL_SPACES}
    labels['object'] = np.where(lab == BACKGROUND, BACKGROUND, 'object')
    codes = np.searchsorted(np.sort(shapes), lab)  # one code per label
    # pixels that separate the labels perfectly -> k-means is pure too
    centre = {s: rng.normal(size=12) * 10 for s in shapes}
    pixels = np.stack([centre[s] for s in lab.ravel()]).reshape(
        lab.shape + (12,))
    result = compare_purity(codes, labels, pixels, repeats=3)
    shape = result['all']['shape']
    assert shape['codes'] == 1.0 and shape['kmeans'] == pytest.approx(1.0)
    assert shape['random'] < 0.6
    assert result['objects']['num_patches'] == int((lab != BACKGROUND).sum())
    assert 'object' not in result['objects']
    assert 'all patches' in code_purity.format_purity(result)
