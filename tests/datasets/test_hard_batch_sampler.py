from collections import Counter
from unittest import mock

import pytest
from mmengine.config import Config

from semmim.datasets import HardBatchSampler
from semmim.datasets.shapes_vl.world_v2 import caption_colours
from semmim.registry import DATA_SAMPLERS


class KeyedData:
    """A dataset whose data info is just a key."""

    def __init__(self, keys):
        self.keys = list(keys)

    def __len__(self):
        return len(self.keys)

    def get_data_info(self, i):
        return dict(key=self.keys[i])


def by_key(info):
    return info['key']


# 3 keys of 37 / 20 / 7 samples: full chunks of 8 and left-overs
KEYS = ['a'] * 37 + ['b'] * 20 + ['c'] * 7


def test_chunks_share_a_key_and_every_sample_comes_once():
    data = KeyedData(KEYS)
    s = HardBatchSampler(data, by_key, group_size=8, seed=3)
    chunks = s.chunks()
    # 4 + 2 full chunks of one key; 5 + 4 + 7 = 16 left-overs -> 2 mixed
    assert [len(c) for c in chunks] == [8] * 8
    keyed = [c for c in chunks if len({KEYS[i] for i in c}) == 1]
    assert len(keyed) >= 6
    assert Counter(KEYS[i] for c in keyed[:6] for i in c)['a'] >= 32
    idx = list(s)
    assert sorted(idx) == list(range(len(KEYS)))
    # batches of 16 are made of whole chunks
    assert idx == [i for c in chunks for i in c]


def test_short_chunk_goes_last_and_order_is_seeded():
    data = KeyedData(KEYS[:-3])  # 61 samples: one chunk of 5
    s = HardBatchSampler(data, by_key, group_size=8, seed=0)
    chunks = s.chunks()
    assert [len(c) for c in chunks][-1] == 5
    assert all(len(c) == 8 for c in chunks[:-1])
    again = HardBatchSampler(data, by_key, group_size=8, seed=0)
    assert list(again) == list(s)
    s.set_epoch(1)
    assert list(s) != list(again)
    assert sorted(s) == sorted(again)
    plain = HardBatchSampler(data, by_key, group_size=8, shuffle=False)
    assert list(plain)[:8] == list(range(8))


def test_ranks_take_contiguous_shares():
    data = KeyedData(KEYS)
    shares = []
    for rank in range(2):
        with mock.patch('semmim.datasets.hard_batch_sampler.get_dist_info',
                        return_value=(rank, 2)):
            shares.append(list(HardBatchSampler(data, by_key, group_size=8,
                                                seed=1)))
    whole = list(HardBatchSampler(data, by_key, group_size=8, seed=1))
    assert shares[0] + shares[1] == whole
    assert len(shares[0]) == len(shares[1]) == 32


def test_key_fn_by_import_path_and_errors():
    data = KeyedData(KEYS)
    s = DATA_SAMPLERS.build(dict(
        type='HardBatchSampler', dataset=data, group_size=4, seed=0,
        key_fn='tests.datasets.test_hard_batch_sampler.by_key'))
    assert len(s.groups) == 3
    with pytest.raises(ValueError, match='no function nope'):
        HardBatchSampler(data, 'tests.datasets.test_hard_batch_sampler.nope')
    with pytest.raises(ValueError, match='group_size'):
        HardBatchSampler(data, by_key, group_size=0)


def test_shapes_vl_v2_caption_colours_key():
    info = dict(text='a red cross in the lower left, a green triangle at '
                'the top right and a red disk in the top left corner')
    assert caption_colours(info) == ('green', 'red', 'red')
    # the study config wires it up
    cfg = Config.fromfile(
        'projects/shapes_vl_v2/configs/v2_fitted-vocab_hard-batch16.py')
    sampler = cfg.train_dataloader.sampler
    assert sampler.type == 'HardBatchSampler' and sampler.group_size == 16
    assert sampler.key_fn.endswith('world_v2.caption_colours')
