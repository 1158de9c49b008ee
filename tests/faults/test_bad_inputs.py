"""Bad inputs, one parametrised sweep: each is a one-line error naming the
file, the entry and the field, or is handled (the table is in
docs/reliability.md)."""
import json
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from PIL import Image

from semmim.datasets.bad_samples import BadSampleError
from semmim.registry import DATASETS, MODELS
from tests.conftest import REPO

DEMO = os.path.join(REPO, 'configs', 'semmim',
                    'semmim_vit-t-p8_1xb64-cpu_shapes-vl.py')
GOOD = dict(image='images/good.png', caption='a red circle')


@pytest.fixture(scope='module')
def demo_cfg():
    return Config.fromfile(DEMO)


@pytest.fixture(scope='module')
def preprocessor(demo_cfg):
    return MODELS.build(demo_cfg.model.data_preprocessor)


def write_image(path, mode='RGB', size=(40, 40)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new(mode, size, 'red' if mode in ('RGB', 'RGBA') else 128) \
        .save(path)


def dataset(demo_cfg, root, entries, test_mode=False, raw=None):
    """The demo's pre-training dataset and pipeline on ``entries``."""
    write_image(os.path.join(root, GOOD['image']))
    ann = os.path.join(root, 'ann.json')
    with open(ann, 'w', encoding='utf-8') as f:
        f.write(raw if raw is not None else json.dumps(entries))
    cfg = demo_cfg.train_dataloader.dataset.copy()
    cfg.update(ann_file='ann.json', data_root=str(root), test_mode=test_mode)
    return DATASETS.build(cfg), ann


def one_line(err):
    msg = str(err.value)
    assert '\n' not in msg, msg
    return msg


# each case: (name, function of (demo_cfg, tmp_path, preprocessor)) that
# asserts the outcome and returns it as one line for the table
def malformed_json(cfg, tmp, _):
    with pytest.raises(ValueError) as e:
        dataset(cfg, tmp, None, raw='[{"image": "a.png", "caption": }]')
    msg = one_line(e)
    assert msg.startswith(f'{tmp}/ann.json: not valid JSON (Expecting '
                          'value: line 1 column 32 (char 31))')
    return msg


def missing_field(cfg, tmp, _):
    with pytest.raises(ValueError) as e:
        dataset(cfg, tmp, [GOOD, dict(image='images/good.png')])
    msg = one_line(e)
    assert msg == f"{tmp}/ann.json: entry 1: missing field 'caption'"
    return msg


def wrong_field_type(cfg, tmp, _):
    with pytest.raises(ValueError) as e:
        dataset(cfg, tmp, [GOOD, dict(image=7, caption='x')])
    msg = one_line(e)
    assert msg == (f"{tmp}/ann.json: entry 1: field 'image' must be str, "
                   'got int')
    return msg


def _skipped(cfg, tmp, entry, expected):
    """A bad sample: skipped and counted in training, one line in test."""
    ds, ann = dataset(cfg, tmp, [GOOD, entry])
    sample = ds[1]  # another sample is drawn (maybe entry 1 again)
    skipped = sample['data_samples'].bad_samples_skipped
    assert skipped >= 1 and ds.num_bad_samples == skipped
    ds, ann = dataset(cfg, tmp, [GOOD, entry], test_mode=True)
    with pytest.raises(BadSampleError) as e:
        ds[1]
    msg = one_line(e)
    assert msg == expected.format(tmp=tmp) + f' (annotation {ann}, entry 1)'
    return f'training: skipped and counted; evaluation: {msg}'


def missing_image(cfg, tmp, pre):
    return _skipped(cfg, tmp, dict(image='images/nope.png', caption='x'),
                    '{tmp}/images/nope.png: image file not found')


def truncated_image(cfg, tmp, pre):
    path = os.path.join(tmp, 'images', 'cut.png')
    write_image(path, size=(64, 64))
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    return _skipped(cfg, tmp, dict(image='images/cut.png', caption='x'),
                    '{tmp}/images/cut.png: cannot decode image (image file '
                    'is truncated)')


def _handled_image(cfg, tmp, pre, mode, size):
    write_image(os.path.join(tmp, 'images', 'odd.png'), mode, size)
    ds, _ = dataset(cfg, tmp, [dict(image='images/odd.png',
                                    caption='a red circle')])
    sample = ds[0]
    assert ds.num_bad_samples == 0
    views = sample['inputs']
    views = views if isinstance(views, list) else [views]
    assert all(tuple(v.shape) == (3, 64, 64) for v in views)
    batch = pre(default_collate([sample]), True)
    tensors = batch['inputs']
    tensors = list(tensors.values()) if isinstance(tensors, dict) else \
        list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    assert all(torch.isfinite(t).all() for t in tensors
               if isinstance(t, torch.Tensor))
    return (f'handled: {mode} {size[0]}x{size[1]} read as 3 channels, '
            f'{len(views)} views of 3x64x64')


def grayscale_image(cfg, tmp, pre):
    return _handled_image(cfg, tmp, pre, 'L', (40, 40))


def rgba_image(cfg, tmp, pre):
    return _handled_image(cfg, tmp, pre, 'RGBA', (40, 40))


def one_pixel_image(cfg, tmp, pre):
    return _handled_image(cfg, tmp, pre, 'RGB', (1, 1))


def empty_caption(cfg, tmp, pre):
    return _skipped(cfg, tmp, dict(image='images/good.png', caption='  '),
                    "{tmp}/images/good.png: empty caption in field 'text'")


def _caption(cfg, tmp, pre, caption):
    ds, _ = dataset(cfg, tmp, [dict(image='images/good.png',
                                    caption=caption)])
    sample = ds[0]
    text = sample['data_samples'].text
    batch = pre(default_collate([sample]), True)
    ids = batch['data_samples'][0].text_ids if hasattr(
        batch['data_samples'][0], 'text_ids') else None
    return text, ids, batch


def long_caption(cfg, tmp, pre):
    text, _, batch = _caption(cfg, tmp, pre, ' '.join(['word'] * 10000))
    assert text == ' '.join(['word'] * 30)  # PreCaption(max_words=30)
    return 'handled: cut to the first 30 words (PreCaption.max_words)'


def non_ascii_caption(cfg, tmp, pre):
    text, _, batch = _caption(cfg, tmp, pre,
                              'Un cercle ROUGE à gauche — 赤い円 🙂')
    assert text.startswith('un cercle rouge à gauche')
    return f'handled: cleaned to {text!r}, tokenised'


def unknown_model_type(cfg, tmp, _):
    from semmim.apis.base import build_model
    bad = cfg.copy()
    bad.model = dict(bad.model, type='SemMIMM')
    with pytest.raises(ValueError) as e:
        build_model(bad)
    msg = one_line(e)
    assert msg == (f"{DEMO}: model.type: 'SemMIMM' is not a registered "
                   "model (did you mean 'SemMIM'?)")
    return msg


def wrong_cfg_options_key(cfg, tmp, _):
    from semmim.engine.config_checks import check_cfg_options
    with pytest.raises(ValueError) as e:
        check_cfg_options(cfg, {'train_dataloader.batch_size': 2,
                                'img_size': 32})
    msg = one_line(e)
    assert msg.startswith(f"--cfg-options img_size: 'img_size' is a "
                          f'variable of {DEMO}, already used')
    return msg


def wrong_model_checkpoint(cfg, tmp, _):
    from semmim.apis.base import build_model
    from semmim.utils.checkpoint_io import CheckpointLoadError
    from tests.apis.conftest import make
    config, ckpt = make(tmp, 'retrieval')  # a tiny model's checkpoint
    with pytest.raises(CheckpointLoadError) as e:
        build_model('configs/retrieval/semmim-retrieval_small_zeroshot-itc_'
                    'shapes-vl.py', ckpt)
    msg = one_line(e)
    assert msg.startswith(f"{ckpt}: 0.0% of the model's parameters found "
                          'with the right shape')
    assert 'missing 24: vision_backbone.layers.3.ln1.weight' in msg
    assert 'wrong shape 197: vision_backbone.cls_token, ' in msg
    assert 'below the 90% required' in msg
    return msg


CASES = [malformed_json, missing_field, wrong_field_type, missing_image,
         truncated_image, grayscale_image, rgba_image, one_pixel_image,
         empty_caption, long_caption, non_ascii_caption, unknown_model_type,
         wrong_cfg_options_key, wrong_model_checkpoint]


@pytest.mark.parametrize('case', CASES, ids=[c.__name__ for c in CASES])
def test_bad_input(case, demo_cfg, preprocessor, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    outcome = case(demo_cfg, tmp_path, preprocessor)
    assert outcome and '\n' not in outcome
    if os.environ.get('SEMMIM_PRINT_SWEEP'):
        print(f'\n| {case.__name__} | {outcome} |')
