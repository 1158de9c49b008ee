import json
import os.path as osp

import pytest

from semmim.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def build(ann_file, **kw):
    return DATASETS.build(dict(type='CaptionDataset', ann_file=ann_file,
                               lazy_init=False, **kw))


KARPATHY_TRAIN = [
    dict(image='a.jpg', caption='a red circle', image_id='coco_1'),
    dict(image='a.jpg', caption='a red disk', image_id='coco_1'),
    dict(image='b.jpg', caption='a blue square', image_id='coco_2'),
]


def test_karpathy_training_one_sample_per_caption(tmp_path):
    ds = build(write(tmp_path, 'train.json', KARPATHY_TRAIN),
               data_prefix='images')
    assert len(ds) == 3
    info = ds.get_data_info(1)
    assert info['text'] == 'a red disk' and info['image_id'] == 'coco_1'
    assert info['img_path'] == osp.join('images', 'a.jpg')
    assert 'gt_caption' not in info


def test_grouped_training_for_scst(tmp_path):
    ds = build(write(tmp_path, 'train.json', KARPATHY_TRAIN),
               group_by_image=True)
    assert len(ds) == 2
    first = ds.get_data_info(0)
    assert first['gt_caption'] == ['a red circle', 'a red disk']
    assert 'text' not in first


def test_karpathy_test_ids_from_field_or_file_name(tmp_path):
    entries = [
        dict(image='val2014/COCO_val2014_000000391895.jpg',
             caption=['a man', 'a person']),
        dict(image='x.png', caption=['a cat'], image_id=7),
        dict(image='y.png', caption=['a dog'], image_id='8'),
    ]
    ds = build(write(tmp_path, 'test.json', entries), test_mode=True)
    assert [ds.get_data_info(i)['image_id'] for i in range(3)] == \
        [391895, 7, 8]
    assert ds.get_data_info(0)['gt_caption'] == ['a man', 'a person']


def test_coco_format_with_domains_one_sample_per_image(tmp_path):
    nocaps = dict(
        images=[dict(id=0, file_name='0013ea.jpg', domain='in-domain'),
                dict(id=1, file_name='00ab.jpg', domain='out-domain')],
        annotations=[dict(image_id=0, id=0, caption='a cat'),
                     dict(image_id=0, id=1, caption='a small cat'),
                     dict(image_id=1, id=2, caption='a lynx')])
    path = write(tmp_path, 'nocaps_val.json', nocaps)
    ds = build(path, test_mode=True, data_prefix='images/val')
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['image_id'] == 1 and info['domain'] == 'out-domain'
    assert info['img_path'] == osp.join('images/val', '00ab.jpg')
    assert ds.get_data_info(0)['gt_caption'] == ['a cat', 'a small cat']
    # NoCaps test: no annotations
    del nocaps['annotations']
    ds = build(write(tmp_path, 'nocaps_test.json', nocaps), test_mode=True)
    assert 'gt_caption' not in ds.get_data_info(0)
    # training on a COCO-format file: one sample per caption
    assert len(build(path)) == 3
    assert len(build(path, group_by_image=True)) == 2


def test_one_line_errors(tmp_path):
    with pytest.raises(ValueError,
                       match=r"bad.json: entry 1: missing field 'image'"):
        build(write(tmp_path, 'bad.json',
                    [dict(image='a', caption='x'), dict(caption='y')]))
    with pytest.raises(ValueError, match='integer "image_id"'):
        build(write(tmp_path, 'noid.json',
                    [dict(image='abc.png', caption=['x'])]), test_mode=True)
    with pytest.raises(ValueError, match='repeat'):
        build(write(tmp_path, 'dup.json',
                    [dict(image='1.png', caption=['x']),
                     dict(image='1.png', caption=['y'])]), test_mode=True)
    with pytest.raises(ValueError, match=r'images\[0\]: missing field'):
        build(write(tmp_path, 'coco.json', dict(images=[dict(id=1)])))
    with pytest.raises(ValueError, match='one caption each'):
        build(write(tmp_path, 'list.json',
                    [dict(image='a', caption=['x', 'y'], image_id=1)]))


def test_shapes_vl_test_split_matches_its_ground_truth(tiny_shapes):
    # a freshly generated tiny Shapes-VL, so that this runs everywhere
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/_base_/datasets/shapes_vl_caption.py'))
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root = tiny_shapes
    ds = DATASETS.build(ds_cfg)
    with open(osp.join(tiny_shapes, 'annotations',
                       'caption_test_gt.json')) as f:
        gt = json.load(f)
    assert sorted(ds.get_data_info(i)['image_id'] for i in range(len(ds))) \
        == sorted(img['id'] for img in gt['images'])
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 64)
    assert isinstance(sample['data_samples'].image_id, int)
