"""Masking maps and their picture on a tiny model."""
import numpy as np
import pytest

from semmim.visualization.masking import (draw_masking,
                                          masking_figure_size, masking_maps,
                                          masking_stats, object_share)
from semmim.visualization.patch_codes import load_images
from semmim.visualization.samples import shapes_vl_samples
from tests.visualization.test_patterns import check_png


def test_masking_maps_and_figure(tiny_model, tiny_shapes, tmp_path):
    samples = shapes_vl_samples(tiny_shapes, 'train', num_images=3)
    images, originals = load_images([s['image'] for s in samples], 32)
    captions = [s['captions'][0] for s in samples]
    maps = masking_maps(tiny_model, images, captions, seed=1)
    assert maps['prob'].shape == (3, 4, 4)
    assert np.allclose(maps['prob'].sum((1, 2)), 1, atol=1e-5)
    m = tiny_model.mask_generator.num_masked(16)
    for key in ('text_guided', 'random'):
        assert maps[key].dtype == bool
        assert (maps[key].sum((1, 2)) == m).all()
    again = masking_maps(tiny_model, images, captions, seed=1)
    assert (again['text_guided'] == maps['text_guided']).all()
    sharp = masking_maps(tiny_model, images, captions, temperature=0.01)
    assert sharp['prob'].max() > maps['prob'].max()
    is_object = np.zeros((3, 4, 4), bool)
    is_object[:, :2] = True
    out = draw_masking(originals, captions, maps, str(tmp_path / 'm.png'),
                       is_object)
    check_png(out, masking_figure_size(3))
    stats = masking_stats(maps, is_object)
    assert stats['object_patches'] == 0.5
    with pytest.raises(ValueError):
        masking_maps(tiny_model, images, captions[:2])


def test_object_share():
    masks = np.array([[True, True, False, False]])
    assert object_share(masks, np.array([[True, False, True, False]])) == 0.5
    assert np.isnan(object_share(np.zeros((1, 4), bool), masks))
