"""Pre-training dataset: formats, several files, bad input."""
import json
import logging

import numpy as np
import pytest
from PIL import Image

from semmim.datasets import BadSampleError, ImageTextDataset
from semmim.engine.hooks import BadSampleLoggerHook

PIPELINE = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='PreCaption', keys='text', max_words=30),
    dict(type='PackInputs', algorithm_keys=['text'],
         meta_keys=['img_path', 'sample_idx']),
]


def write_image(path, size=16, seed=0):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (size, size, 3),
                                 dtype=np.uint8)).save(path)


@pytest.fixture
def data_root(tmp_path):
    (tmp_path / 'images').mkdir()
    for i in range(4):
        write_image(tmp_path / 'images' / f'{i}.png', seed=i)
    json.dump([{'image': 'images/0.png', 'caption': 'A Red Circle!'},
               {'image': 'images/1.png', 'caption': ['one', 'two']}],
              open(tmp_path / 'a.json', 'w'))
    json.dump([{'image': 'images/2.png', 'caption': 'a blue square'},
               {'image': 'images/3.png', 'caption': 'a green star'}],
              open(tmp_path / 'b.json', 'w'))
    return tmp_path


def dataset(root, ann_file, **kw):
    return ImageTextDataset(ann_file=ann_file, data_root=str(root),
                            pipeline=PIPELINE, **kw)


def test_several_files_concatenated_and_captions_drawn(data_root):
    ds = dataset(data_root, ['a.json', 'b.json'])
    assert len(ds) == 4
    out = ds[0]
    assert out['data_samples'].text == 'a red circle'
    assert tuple(out['inputs'].shape) == (3, 16, 16)
    drawn = {ds[1]['data_samples'].text for _ in range(40)}
    assert drawn == {'one', 'two'}
    assert ds[3]['data_samples'].text == 'a green star'


@pytest.mark.parametrize('content,match', [
    ('{"image": 1}', r'a\.json: expected a JSON list'),
    ('[{"caption": "x"}]', r"a\.json: entry 0: missing field 'image'"),
    ('[{"image": "i.png", "caption": 3}]',
     r"a\.json: entry 0: field 'caption' must be str or list"),
    ('[{"image": "i.png", "caption": []}]',
     r"a\.json: entry 0: field 'caption' must be a string or a non-empty"),
    ('[{"image": "i.png", "caption": "x"}, 5]',
     r'a\.json: entry 1: expected an object'),
    ('[{"image": ', r'a\.json: not valid JSON'),
])
def test_malformed_annotation_names_file_entry_field(tmp_path, content,
                                                     match):
    (tmp_path / 'a.json').write_text(content)
    with pytest.raises(ValueError, match=match):
        dataset(tmp_path, 'a.json')


def test_missing_annotation_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'):
        dataset(tmp_path, 'nope.json')


def make_bad(root):
    (root / 'images' / 'corrupt.png').write_bytes(b'not an image at all')
    good = (root / 'images' / '0.png').read_bytes()
    (root / 'images' / 'truncated.png').write_bytes(good[:len(good) // 2])
    json.dump([
        {'image': 'images/0.png', 'caption': 'fine'},
        {'image': 'images/missing.png', 'caption': 'gone'},
        {'image': 'images/corrupt.png', 'caption': 'corrupt'},
        {'image': 'images/truncated.png', 'caption': 'truncated'},
        {'image': 'images/1.png', 'caption': '?!'},  # empty once cleaned
    ], open(root / 'bad.json', 'w'))


@pytest.mark.parametrize('index,match', [
    (1, r'missing\.png: image file not found \(annotation .*bad\.json, '
        r'entry 1\)'),
    (2, r'corrupt\.png: cannot decode image'),
    (3, r'truncated\.png: cannot decode image'),
    (4, r"1\.png: empty caption in field 'text' \(annotation .*entry 4\)"),
])
def test_bad_samples_raise_in_error_mode(data_root, index, match):
    make_bad(data_root)
    ds = dataset(data_root, 'bad.json', on_bad_sample='error')
    with pytest.raises(BadSampleError, match=match):
        ds[index]
    # evaluation never skips silently either
    ds = dataset(data_root, 'bad.json', test_mode=True)
    with pytest.raises(BadSampleError, match=match):
        ds[index]


def test_bad_samples_skipped_counted_and_logged(data_root, caplog):
    make_bad(data_root)
    ds = dataset(data_root, 'bad.json')
    samples = [ds[i] for i in range(5)]  # never raises
    assert all(s['data_samples'].text == 'fine' for s in samples[1:])
    # each of the 4 bad entries is skipped once when asked for; the random
    # replacement draws may land on bad entries again and count as well
    n_bad = ds.num_bad_samples
    assert n_bad >= 4
    skipped = sum(s['data_samples'].metainfo.get('bad_samples_skipped', 0)
                  for s in samples)
    assert skipped == n_bad

    class Runner:
        class message_hub:
            scalars = {}

            @classmethod
            def update_scalar(cls, key, value):
                cls.scalars[key] = value

        epoch = 0
        logger = logging.getLogger('bad-sample-test')

    hook = BadSampleLoggerHook()
    hook.after_train_iter(Runner, 0,
                          dict(data_samples=[s['data_samples']
                                             for s in samples]))
    assert Runner.message_hub.scalars['train/bad_samples'] == n_bad
    with caplog.at_level(logging.WARNING, logger='bad-sample-test'):
        hook.after_train_epoch(Runner)
    assert f'skipped {n_bad} bad samples' in caplog.text


def test_bad_on_bad_sample_value(data_root):
    with pytest.raises(ValueError, match='on_bad_sample'):
        dataset(data_root, 'a.json', on_bad_sample='ignore')
