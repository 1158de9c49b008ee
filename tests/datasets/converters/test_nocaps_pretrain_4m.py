"""NoCaps check-and-place, and the assembled 4M pre-training list."""
import json

import pytest

from semmim.datasets import CaptionDataset, ImageTextDataset
from semmim.datasets.converters import (PAPER_COUNTS, ConversionError,
                                        assemble_pretrain_4m, convert_nocaps)


def nocaps_file(tmp_path, images, anns):
    path = tmp_path / 'nocaps_val_4500_captions.json'
    path.write_text(json.dumps(dict(
        licenses=[], info={}, images=[
            dict(id=i, open_images_id=name, file_name=f'{name}.jpg',
                 domain=domain, height=10, width=10, coco_url='',
                 date_captured='') for i, name, domain in images],
        annotations=[dict(image_id=i, id=n, caption=c)
                     for n, (i, c) in enumerate(anns)])))
    return str(path)


IMAGES = [(0, '0013ea2087020901', 'in-domain'),
          (1, '00223d6bd6fc4b81', 'out-domain'),
          (2, '0036e8d4bd4bd2a1', 'near-domain')]
ANNS = [(0, 'A dog.'), (0, 'A brown dog.'), (1, 'A jellyfish.'),
        (2, 'A tram.')]


def test_nocaps_checked_and_read_by_caption_dataset(tmp_path):
    path = nocaps_file(tmp_path, IMAGES, ANNS)
    out = tmp_path / 'data'
    (out / 'nocaps/images/val').mkdir(parents=True)
    (out / 'nocaps/images/val/0013ea2087020901.jpg').write_bytes(b'x')
    report = convert_nocaps(path, str(out),
                            image_dir=str(out / 'nocaps/images/val'),
                            show_progress=False)
    ds = CaptionDataset('annotations/nocaps_val_4500_captions.json',
                        data_root=str(out / 'nocaps'),
                        data_prefix='images/val', test_mode=True)
    assert [(d['image_id'], d['domain']) for d in ds] == [
        (0, 'in-domain'), (1, 'out-domain'), (2, 'near-domain')]
    assert ds[0]['gt_caption'] == ['A dog.', 'A brown dog.']
    text = report.summary()
    assert '3 entries, 3 images, 4 captions' in text
    assert ('in-domain 1 images / 2 captions, near-domain 1 images / 1 '
            'captions, out-domain 1 images / 1 captions') in text
    assert '2 of 3 images are not in' in text


def test_nocaps_malformed(tmp_path):
    images = IMAGES + [(3, 'ff', 'far-domain')]
    path = nocaps_file(tmp_path, images, ANNS + [(9, 'Orphan.')])
    with pytest.raises(ConversionError) as e:
        convert_nocaps(path, str(tmp_path / 'd'), show_progress=False)
    assert str(e.value) == (f"{path}: images[3]: field 'domain' is "
                            "'far-domain', expected one of ('in-domain', "
                            "'near-domain', 'out-domain')")
    report = convert_nocaps(path, str(tmp_path / 'd'), strict=False,
                            show_progress=False)
    assert report.skipped == {"malformed: field 'domain' unknown": 1,
                              'malformed: image_id not in "images"': 1}


def test_nocaps_test_file_without_captions(tmp_path):
    path = tmp_path / 'nocaps_test_image_info.json'
    path.write_text(json.dumps(dict(images=[
        dict(id=0, file_name='0a.jpg', open_images_id='0a'),
        dict(id=1, file_name='0b.jpg', domain='near-domain')])))
    report = convert_nocaps(str(path), str(tmp_path / 'd'),
                            show_progress=False)
    ds = CaptionDataset('annotations/nocaps_test_image_info.json',
                        data_root=str(tmp_path / 'd/nocaps'),
                        test_mode=True)
    assert [d['image_id'] for d in ds] == [0, 1]
    assert 'no domain 1 images / 0 captions' in report.summary()


def write(path, entries, one_line=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=None if one_line else 1))


def test_assemble_whatever_exists_and_compare_with_paper(tmp_path):
    root = tmp_path / 'data'
    pre = root / 'annotations' / 'pretrain'
    coco = [dict(image='coco/train2014/a.jpg', caption='one'),
            dict(image='coco/train2014/a.jpg', caption='two'),
            dict(image='coco/train2014/b.jpg', caption=['three', 'four'])]
    write(pre / 'coco.json', coco)
    write(pre / 'cc3m_val.json', [dict(image='cc3m/val/0.jpg',
                                       caption='web')], one_line=False)
    report = assemble_pretrain_4m(str(root), show_progress=False)
    merged = root / 'annotations/pretrain/pretrain_4m.json'
    assert json.loads(merged.read_text()) == coco + [
        dict(image='cc3m/val/0.jpg', caption='web')]
    assert report.table == {'coco': (2, 4), 'cc3m': (1, 1)}
    text = report.summary()
    assert 'vg: ' in text and 'not found, left out' in text
    paper = sum(img for img, _ in PAPER_COUNTS.values())
    assert paper == pytest.approx(4.0e6, rel=0.01)
    assert f'short by {4_000_000 - 3:,}' in text
    ds = ImageTextDataset('annotations/pretrain/pretrain_4m.json',
                          data_root=str(root))
    assert len(ds) == 4
    # only some sources; image check
    (root / 'coco/train2014').mkdir(parents=True)
    (root / 'coco/train2014/a.jpg').write_bytes(b'x')
    report = assemble_pretrain_4m(str(root), sources=['coco'],
                                  check_images=True, show_progress=False)
    assert report.table == {'coco': (1, 2)}
    assert report.skipped == {'entries whose image file is missing': 1}


def test_assemble_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='run the converters first'):
        assemble_pretrain_4m(str(tmp_path), show_progress=False)
    path = tmp_path / 'annotations/pretrain/sbu.json'
    write(path, [dict(image='sbu/0.jpg', caption='x'),
                 dict(image='sbu/1.jpg', caption=[])])
    with pytest.raises(ConversionError) as e:
        assemble_pretrain_4m(str(tmp_path), show_progress=False)
    assert str(e.value) == (f"{path}: entry 1: field 'caption' must be a "
                            'non-empty string or a non-empty list of them')
    with pytest.raises(ValueError, match='unknown sources'):
        assemble_pretrain_4m(str(tmp_path), sources=['laion'])
