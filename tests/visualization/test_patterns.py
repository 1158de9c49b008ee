"""Patch codes, pattern clusters and pattern layouts on a tiny model."""
import numpy as np
import pytest
import torch
from PIL import Image

from semmim.visualization.patch_codes import (PatchCodes, encode_samples,
                                              load_images, patch_pixels)
from semmim.visualization.patterns import (cluster_sheet_size,
                                           draw_pattern_clusters,
                                           draw_pattern_layout, layout_size,
                                           patch_box, pick_patches)
from semmim.visualization.samples import shapes_vl_samples


def check_png(path, size):
    img = np.asarray(Image.open(path).convert('RGB'))
    assert (img.shape[1], img.shape[0]) == tuple(size)
    # not blank: many colours, real contrast
    assert img.std() > 10
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50


@pytest.fixture
def encoded(tiny_model, tiny_shapes):
    samples = shapes_vl_samples(tiny_shapes, 'train', num_images=6)
    return encode_samples(tiny_model, samples)


def test_encode_samples(encoded, tiny_model):
    codes = encoded['codes']
    assert codes.codes.shape == (6, 4, 4)  # 32 px images, 8 px patches
    assert codes.codes.max() < 24 and codes.confidence.max() <= 1
    assert encoded['labels']['shape'].shape == (6, 4, 4)
    assert encoded['images'].dtype == torch.uint8
    assert len(encoded['originals']) == 6
    assert encoded['originals'][0].shape == (64, 64, 3)
    assert codes.counts().sum() == 96
    top = codes.top_codes()
    assert (np.diff(codes.counts()[top]) <= 0).all()


def test_codes_with_caption_and_uncentred(encoded, tiny_model, tiny_shapes):
    samples = shapes_vl_samples(tiny_shapes, 'train', num_images=6)
    with_text = encode_samples(tiny_model, samples, with_caption=True)
    assert with_text['codes'].codes.shape == (6, 4, 4)
    # the centre shifts the arg-max: set a big one on one code
    tiny_model.mim_head.center.center[0, 5] = -100.
    centred = encode_samples(tiny_model, samples)['codes'].codes
    assert (centred == 5).all()
    raw = encode_samples(tiny_model, samples, centered=False)['codes'].codes
    assert not (raw == 5).all()


def test_patch_pixels_layout():
    img = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    img[0, 2, :2, 2:] = 255  # BGR: red in the top-right patch
    pix = patch_pixels(img, 2)
    assert pix.shape == (1, 2, 2, 12)
    assert pix[0, 0, 1].reshape(4, 3).tolist() == [[1, 0, 0]] * 4
    assert pix[0, 0, 0].sum() == 0


def test_pick_patches():
    codes = np.zeros((2, 2, 2), int)
    codes[1, 1, 1] = 3
    conf = np.linspace(0, 1, 8).reshape(2, 2, 2).astype(np.float32)
    pc = PatchCodes(codes, conf, 4)
    assert pick_patches(pc, 3, 5).tolist() == [[1, 1, 1]]
    best = pick_patches(pc, 0, 2, 'confident')
    assert best.tolist() == [[1, 1, 0], [1, 0, 1]]
    assert len(pick_patches(pc, 0, 3, 'random')) == 3
    with pytest.raises(ValueError):
        pick_patches(pc, 0, 3, 'best')
    assert patch_box((1, 0), (2, 2), (64, 64, 3)) == (0, 32, 32, 64)


def test_draw_pattern_clusters(encoded, tmp_path):
    out = draw_pattern_clusters(encoded['originals'], encoded['codes'],
                                str(tmp_path / 'c.png'), num_codes=5,
                                per_code=4, code_notes={0: 'note'})
    n = min(5, int((encoded['codes'].counts() > 0).sum()))
    check_png(out, cluster_sheet_size(n, 4, 48, 4))


def test_draw_pattern_layout(encoded, tmp_path):
    out = draw_pattern_layout(encoded['originals'][:3],
                              PatchCodes(encoded['codes'].codes[:3],
                                         encoded['codes'].confidence[:3], 24),
                              str(tmp_path / 'l.png'),
                              captions=encoded['captions'][:3])
    check_png(out, layout_size(3))
    with pytest.raises(ValueError):
        draw_pattern_layout(encoded['originals'][:2], encoded['codes'],
                            str(tmp_path / 'x.png'))


def test_load_images_resizes(tiny_shapes):
    samples = shapes_vl_samples(tiny_shapes, 'val', indices=[0, 1])
    batch, originals = load_images([s['image'] for s in samples], 32)
    assert batch.shape == (2, 3, 32, 32) and batch.dtype == torch.uint8
    # BGR batch vs RGB originals: the mean colours agree channel-flipped
    small = batch[0].flip(0).float().mean((1, 2))
    big = torch.from_numpy(originals[0]).float().mean((0, 1))
    assert torch.allclose(small, big, atol=6)
