import json

import numpy as np
import pytest
from PIL import Image

from semmim.datasets import VQADataset
from semmim.datasets.image_grouped_sampler import ImageGroupedSampler

ENTRIES = [
    dict(question_id=11, question='Is there a red circle?',
         answer=['yes'] * 7 + ['yeah'] * 2 + ['no'], image='a.png',
         image_id=1, answer_type='yes/no', question_type='is there a'),
    dict(question_id=12, question='How many shapes?', answer='3',
         image='a.png', objects=['circle', 'star'], ocr='stop',
         dataset='vg'),
    dict(question_id=21, question='What colour?', answer=['red'] * 10,
         image='b.png'),
]


def write(tmp_path, entries, name='vqa.json'):
    (tmp_path / name).write_text(json.dumps(entries))
    return name


def test_answers_weights_and_fields(tmp_path):
    ds = VQADataset(write(tmp_path, ENTRIES), data_root=str(tmp_path),
                    single_answer_weight=0.5)
    info = ds.get_data_info(0)
    assert info['question'] == 'Is there a red circle?'
    assert info['gt_answer'] == ['yes', 'yeah', 'no']
    assert info['gt_answer_weight'] == pytest.approx([0.7, 0.2, 0.1])
    assert info['annotator_answers'] == ENTRIES[0]['answer']
    assert info['question_id'] == 11 and info['image_id'] == 1
    assert info['answer_type'] == 'yes/no'
    assert info['img_path'] == str(tmp_path / 'a.png')
    # one answer (e.g. Visual Genome): the configured weight
    assert ds.get_data_info(1)['gt_answer_weight'] == [0.5]
    assert ds.get_data_info(2)['gt_answer_weight'] == [1.0]
    # extras are off by default
    assert ds.get_data_info(1)['question'] == 'How many shapes?'


def test_object_labels_and_ocr_tokens_appended(tmp_path):
    ds = VQADataset(write(tmp_path, ENTRIES), data_root=str(tmp_path),
                    extra_fields=dict(objects='object', ocr='ocr'))
    assert ds.get_data_info(1)['question'] == \
        'How many shapes? object circle star ocr stop'
    assert ds.get_data_info(0)['question'] == 'Is there a red circle?'


def test_image_prefix_per_source(tmp_path):
    ds = VQADataset(write(tmp_path, ENTRIES), data_root=str(tmp_path),
                    source_prefix=dict(vg='vg_images'))
    assert ds.get_data_info(1)['img_path'] == str(
        tmp_path / 'vg_images' / 'a.png')
    assert ds.get_data_info(0)['img_path'] == str(tmp_path / 'a.png')
    bad = [dict(ENTRIES[1], dataset='gqa')]
    with pytest.raises(ValueError, match=r"entry 0: dataset 'gqa'"):
        VQADataset(write(tmp_path, bad, 'bad.json'), data_root=str(tmp_path),
                   source_prefix=dict(vg='vg_images'))


def test_test_mode_without_answers(tmp_path):
    entries = [dict(question_id=5, question='why?', image='a.png')]
    ds = VQADataset(write(tmp_path, entries), data_root=str(tmp_path),
                    test_mode=True)
    info = ds.get_data_info(0)
    assert info['question_id'] == 5 and 'gt_answer' not in info
    # training needs answers
    with pytest.raises(ValueError, match="entry 0: missing field 'answer'"):
        VQADataset(write(tmp_path, entries), data_root=str(tmp_path))


@pytest.mark.parametrize('entry, message', [
    (dict(question_id=1, answer='x', image='a.png'),
     "entry 0: missing field 'question'"),
    (dict(question_id=1, question='  ', answer='x', image='a.png'),
     "entry 0: field 'question' is empty"),
    (dict(question_id=1, question='q', answer=[], image='a.png'),
     "entry 0: field 'answer' must be a string or a non-empty list"),
    (dict(question_id='1', question='q', answer='x', image='a.png'),
     "entry 0: field 'question_id' must be int"),
    (dict(question_id=1, question='q', answer='x'),
     "entry 0: missing field 'image'"),
])
def test_errors_name_file_entry_and_field(tmp_path, entry, message):
    name = write(tmp_path, [entry])
    with pytest.raises(ValueError, match=message) as e:
        VQADataset(name, data_root=str(tmp_path))
    assert name in str(e.value)


def test_test_mode_needs_question_ids(tmp_path):
    name = write(tmp_path, [dict(question='q', image='a.png')])
    with pytest.raises(ValueError, match="missing field 'question_id'"):
        VQADataset(name, data_root=str(tmp_path), test_mode=True)


def test_pipeline_packs_a_sample(tmp_path):
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / 'a.png')
    pipeline = [
        dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
        dict(type='PreCaption', keys='question'),
        dict(type='PackInputs',
             algorithm_keys=['question', 'gt_answer', 'gt_answer_weight']),
    ]
    ds = VQADataset(write(tmp_path, ENTRIES[:1]), data_root=str(tmp_path),
                    pipeline=pipeline)
    out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 16, 16)
    s = out['data_samples']
    assert s.question == 'is there a red circle'
    assert s.gt_answer == ['yes', 'yeah', 'no']


# ----------------------------------------------------------------------
class FakeDataset:

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def get_data_info(self, i):
        return dict(img_path=self.images[i])


def contiguous_groups(indices, images):
    """Each image's samples appear as one contiguous run."""
    seen, last = set(), None
    for i in indices:
        key = images[i]
        if key != last:
            if key in seen:
                return False
            seen.add(key)
            last = key
    return True


def test_grouped_sampler_keeps_images_together():
    images = [f'{i // 3}.png' for i in range(30)]  # 10 images x 3
    sampler = ImageGroupedSampler(FakeDataset(images), seed=0)
    first = list(sampler)
    assert sorted(first) == list(range(30)) and len(sampler) == 30
    assert contiguous_groups(first, images)
    assert first != list(range(30))
    sampler.set_epoch(1)
    assert list(sampler) != first
    ordered = ImageGroupedSampler(FakeDataset(images), shuffle=False)
    assert list(ordered) == list(range(30))


def test_grouped_sampler_shards(monkeypatch):
    import semmim.datasets.image_grouped_sampler as mod
    images = [f'{i // 4}.png' for i in range(22)]
    shards = []
    for rank in range(2):
        monkeypatch.setattr(mod, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = ImageGroupedSampler(FakeDataset(images), seed=3)
        shards.append(list(sampler))
        assert len(sampler) == 11 == len(shards[-1])
    assert sorted(shards[0] + shards[1]) == list(range(22))
    # round-up repeats samples so every rank gets as many
    shards = []
    for rank in range(3):
        monkeypatch.setattr(mod, 'get_dist_info', lambda r=rank: (r, 3))
        shards.append(list(ImageGroupedSampler(FakeDataset(images), seed=3)))
    assert [len(s) for s in shards] == [8, 8, 8]
    assert set(sum(shards, [])) == set(range(22))
