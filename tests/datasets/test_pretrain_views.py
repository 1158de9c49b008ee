"""The full-size pre-training views: the student's view keeps captions
true, the teacher's keeps DINO's strength (docs/design.md, "Two views")."""
import copy
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from semmim.registry import TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COLOUR_OPS = ('ColorJitter', 'RandomGrayscale', 'Solarize', 'RandomFlip')


def views():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/pretrain_4m.py'))
    multi = [t for t in cfg.train_pipeline if t['type'] == 'MultiView']
    assert len(multi) == 1
    return multi[0]['transforms']


def types(pipeline):
    out = []
    for t in pipeline:
        out.append(t['type'])
        out += types(t.get('transforms', []))
    return out


def run(pipeline, img):
    results = dict(img=img.copy(), img_shape=img.shape[:2],
                   ori_shape=img.shape[:2])
    for t in pipeline:
        results = TRANSFORMS.build(copy.deepcopy(t))(results)
    return results['img']


def test_teacher_view_keeps_dino_augmentation():
    view1, view2 = views()
    assert set(COLOUR_OPS[:2] + ('RandomFlip', 'GaussianBlur')) <= \
        set(types(view1))
    assert not set(COLOUR_OPS) & set(types(view2))


@pytest.mark.parametrize('seed', range(8))
def test_student_view_keeps_colours_and_sides(seed):
    """Left half red, right half blue (BGR). After the student's view each
    pixel is still a mix of the two colours (no jitter, grayscale or
    solarisation: green stays 0, red + blue stays 255) and red is never
    on the right of blue (no flip)."""
    np.random.seed(seed)
    img = np.zeros((256, 256, 3), np.uint8)
    img[:, :128, 2] = 255  # red (BGR)
    img[:, 128:, 0] = 255  # blue
    out = run(views()[1], img).astype(np.float64)
    assert out.shape == (224, 224, 3)
    assert np.abs(out[..., 1]).max() <= 2
    assert np.abs(out[..., 0] + out[..., 2] - 255).max() <= 3
    red = out[..., 2].mean(0)
    assert red[:112].mean() >= red[112:].mean() - 1
    # the same check fails for a flipped image (the test can fail)
    flipped = out[:, ::-1, 2].mean(0)
    assert not flipped[:112].mean() >= flipped[112:].mean() - 1 or \
        np.ptp(red) < 1
