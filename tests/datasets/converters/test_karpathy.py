"""COCO / Flickr30k converters on tiny files in the publishers' formats,
read back by the datasets the configs use."""
import json

import pytest

from semmim.datasets import CaptionDataset, ImageTextDataset, RetrievalDataset
from semmim.datasets.converters import (ConversionError,
                                        convert_coco_captions,
                                        convert_karpathy)
from semmim.evaluation.metrics.caption_metric import load_references


def sentence(raw, imgid, sentid):
    return dict(raw=raw, tokens=raw.lower().rstrip('.').split(),
                imgid=imgid, sentid=sentid)


def coco_image(imgid, cocoid, split, captions, folder='val2014'):
    return dict(filepath=folder,
                filename=f'COCO_{folder}_{cocoid:012d}.jpg', imgid=imgid,
                split=split, cocoid=cocoid,
                sentids=list(range(10 * imgid, 10 * imgid + len(captions))),
                sentences=[sentence(c, imgid, 10 * imgid + j)
                           for j, c in enumerate(captions)])


def karpathy_coco(tmp_path, images):
    path = tmp_path / 'dataset_coco.json'
    path.write_text(json.dumps(dict(images=images, dataset='coco')))
    return str(path)


IMAGES = [
    coco_image(0, 9, 'train', ['A plate of food.', ' Broccoli. '],
               'train2014'),
    coco_image(1, 25, 'restval', ['A giraffe.']),
    coco_image(2, 391895, 'val', ['A man on a bike.', 'A cyclist.']),
    coco_image(3, 522418, 'test', ['A woman with a knife.', 'Cake.']),
]


def test_coco_karpathy_layouts_read_by_the_datasets(tmp_path):
    out = tmp_path / 'data'
    report = convert_karpathy(karpathy_coco(tmp_path, IMAGES), 'coco',
                              str(out), show_progress=False)
    ann = out / 'coco' / 'annotations'
    train = json.loads((ann / 'coco_karpathy_train.json').read_text())
    assert train == [
        dict(image='train2014/COCO_train2014_000000000009.jpg',
             caption='A plate of food.', image_id='coco_9'),
        dict(image='train2014/COCO_train2014_000000000009.jpg',
             caption='Broccoli.', image_id='coco_9'),
        dict(image='val2014/COCO_val2014_000000000025.jpg',
             caption='A giraffe.', image_id='coco_25')]
    test = json.loads((ann / 'coco_karpathy_test.json').read_text())
    assert test == [dict(image='val2014/COCO_val2014_000000522418.jpg',
                         caption=['A woman with a knife.', 'Cake.'],
                         image_id=522418)]
    # retrieval: same files where the retrieval configs read them
    ret = out / 'annotations' / 'retrieval'
    for split in ('train', 'val', 'test'):
        assert (ret / f'coco_karpathy_{split}.json').read_text() == (
            ann / f'coco_karpathy_{split}.json').read_text()
    ds = RetrievalDataset('annotations/retrieval/coco_karpathy_train.json',
                          data_root=str(out), data_prefix='coco/')
    assert [d['image_id'] for d in ds] == [0, 0, 1]
    ds = RetrievalDataset('annotations/retrieval/coco_karpathy_val.json',
                          data_root=str(out), data_prefix='coco/',
                          test_mode=True)
    assert ds.img_size == 1 and ds.text_size == 2
    assert ds[0]['img_path'].endswith(
        'data/coco/val2014/COCO_val2014_000000391895.jpg')
    # captioning: ids of the evaluation files match the ground truth
    ds = CaptionDataset('annotations/coco_karpathy_test.json',
                        data_root=str(out / 'coco'), test_mode=True)
    refs, _ = load_references(str(ann / 'coco_karpathy_test_gt.json'))
    assert ds[0]['image_id'] == 522418
    assert refs == {522418: ['A woman with a knife.', 'Cake.']}
    # pre-training pairs: train + restval, under coco/
    ds = ImageTextDataset('annotations/pretrain/coco.json',
                          data_root=str(out))
    assert len(ds) == 3
    assert ds[2]['img_path'].endswith(
        'data/coco/val2014/COCO_val2014_000000000025.jpg')
    assert report.num_images(str(ann / 'coco_karpathy_train.json')) == 2
    text = report.summary()
    assert 'coco_karpathy_train.json: 3 entries, 2 images, 3 captions' in (
        text)
    assert 'skipped 0 input entries' in text


def test_coco_karpathy_no_restval(tmp_path):
    report = convert_karpathy(karpathy_coco(tmp_path, IMAGES), 'coco',
                              str(tmp_path / 'data'), restval=False,
                              show_progress=False)
    assert report.skipped == {'restval images (--no-restval)': 1}


def test_coco_karpathy_malformed_entries(tmp_path):
    images = [dict(img) for img in IMAGES]
    images[1] = dict(images[1], sentences=[{'tokens': ['a']},
                                           sentence('Fine.', 1, 11)])
    del images[2]['cocoid']
    path = karpathy_coco(tmp_path, images)
    with pytest.raises(ConversionError) as e:
        convert_karpathy(path, 'coco', str(tmp_path / 'data'),
                         show_progress=False)
    assert str(e.value) == (f"{path}: images[1].sentences[0]: missing "
                            "field 'raw'")
    report = convert_karpathy(path, 'coco', str(tmp_path / 'data'),
                              strict=False, show_progress=False)
    assert report.skipped == {"malformed: missing field 'raw'": 1,
                              "malformed: missing field 'cocoid'": 1}
    assert f"{path}: images[2]: missing field 'cocoid'" in report.summary()
    # nothing silently dropped: the other caption of image 1 is there
    train = json.loads((tmp_path / 'data/coco/annotations/'
                        'coco_karpathy_train.json').read_text())
    assert [t['caption'] for t in train][-1] == 'Fine.'
    # an unknown split or the wrong dataset are one line too
    images[0] = dict(images[0], split='dev')
    with pytest.raises(ConversionError,
                       match=r"images\[0\]: field 'split' is 'dev'"):
        convert_karpathy(karpathy_coco(tmp_path, images), 'coco',
                         str(tmp_path / 'data'), show_progress=False)
    with pytest.raises(ConversionError, match="'dataset' is 'coco'"):
        convert_karpathy(path, 'flickr30k', str(tmp_path / 'data'))


def test_flickr30k(tmp_path):
    images = [
        dict(filename='1000092795.jpg', imgid=0, split='train',
             sentids=[0, 1], sentences=[sentence('Two young guys.', 0, 0),
                                        sentence('Two men.', 0, 1)]),
        dict(filename='1007129816.jpg', imgid=1, split='test', sentids=[2],
             sentences=[sentence('A man with an orange hat.', 1, 2)]),
        dict(filename='101362133.jpg', imgid=2, split='val', sentids=[3],
             sentences=[sentence('A young female.', 2, 3)]),
    ]
    path = tmp_path / 'dataset_flickr30k.json'
    path.write_text(json.dumps(dict(images=images, dataset='flickr30k')))
    out = tmp_path / 'data'
    report = convert_karpathy(str(path), 'flickr30k', str(out),
                              show_progress=False)
    ret = out / 'annotations' / 'retrieval'
    assert json.loads((ret / 'flickr30k_train.json').read_text())[1] == dict(
        image='flickr30k-images/1000092795.jpg', caption='Two men.',
        image_id='flickr30k_1000092795')
    ds = RetrievalDataset('annotations/retrieval/flickr30k_test.json',
                          data_root=str(out), data_prefix='flickr30k/',
                          test_mode=True)
    assert ds[0]['img_path'].endswith(
        'flickr30k/flickr30k-images/1007129816.jpg')
    assert ds[0]['text'] == ['A man with an orange hat.']
    assert not (out / 'annotations' / 'pretrain').exists()
    assert 'flickr30k_val.json: 1 entries, 1 images, 1 captions' in (
        report.summary())


def coco_captions(tmp_path, split, images, anns):
    path = tmp_path / f'captions_{split}.json'
    path.write_text(json.dumps(dict(
        info={}, licenses=[], images=[
            dict(id=i, file_name=f'COCO_{split}_{i:012d}.jpg', height=480,
                 width=640, license=1, coco_url='', flickr_url='',
                 date_captured='') for i in images],
        annotations=[dict(image_id=i, id=n, caption=c)
                     for n, (i, c) in enumerate(anns)])))
    return str(path)


def test_raw_coco_captions_hold_out_karpathy_eval_images(tmp_path):
    train = coco_captions(tmp_path, 'train2014', [9],
                          [(9, 'A plate.'), (9, 'Food.')])
    val = coco_captions(tmp_path, 'val2014', [25, 391895, 522418],
                        [(25, 'A giraffe.'), (391895, 'A bike.'),
                         (522418, 'A knife.'), (7, 'Orphan.')])
    out = tmp_path / 'data'
    with pytest.raises(ConversionError,
                       match=r"annotations\[3\]: field 'image_id' 7 is not"):
        convert_coco_captions([train, val], str(out), show_progress=False)
    report = convert_coco_captions(
        [train, val], str(out), karpathy=karpathy_coco(tmp_path, IMAGES),
        strict=False, show_progress=False)
    pairs = json.loads((out / 'annotations/pretrain/coco.json').read_text())
    assert pairs == [
        dict(image='coco/train2014/COCO_train2014_000000000009.jpg',
             caption='A plate.'),
        dict(image='coco/train2014/COCO_train2014_000000000009.jpg',
             caption='Food.'),
        dict(image='coco/val2014/COCO_val2014_000000000025.jpg',
             caption='A giraffe.')]
    assert report.skipped == {
        'captions of Karpathy val/test images (held out of pre-training)': 2,
        'malformed: image_id not in "images"': 1}
    # without the Karpathy file the leak is said, not hidden
    report = convert_coco_captions([train, val], str(out), strict=False,
                                   show_progress=False)
    assert any('Karpathy val/test' in n for n in report.notes)
