"""Visual Genome region descriptions as pre-training pairs."""
import json

import pytest

from semmim.datasets import ImageTextDataset
from semmim.datasets.converters import ConversionError, convert_vg_regions


def region(rid, image_id, phrase, w=100, h=100):
    return dict(region_id=rid, width=w, height=h, image_id=image_id,
                phrase=phrase, y=10, x=20)


def write_vg(tmp_path, regions, image_data=None):
    image_data = image_data or [
        dict(width=800, height=600, image_id=1, coco_id=None, flickr_id=None,
             url='https://cs.stanford.edu/people/rak248/VG_100K_2/1.jpg'),
        dict(width=500, height=400, image_id=3, coco_id=522418,
             flickr_id=None,
             url='https://cs.stanford.edu/people/rak248/VG_100K/3.jpg'),
        # version 1.0 names the id "id"
        dict(width=100, height=100, id=4, coco_id=9, flickr_id=None,
             url='https://cs.stanford.edu/people/rak248/VG_100K/4.jpg')]
    (tmp_path / 'image_data.json').write_text(json.dumps(image_data))
    (tmp_path / 'region_descriptions.json').write_text(json.dumps(regions))
    return (str(tmp_path / 'region_descriptions.json'),
            str(tmp_path / 'image_data.json'))


REGIONS = [
    dict(id=1, regions=[region(1, 1, 'the clock is green in colour'),
                        region(2, 1, 'The clock is green in colour '),
                        region(3, 1, 'shade  is along the street', 400,
                               600)]),
    dict(id=3, regions=[region(4, 3, 'a knife')]),
    dict(id=4, regions=[region(5, 4, 'a plate of food')]),
]


def test_regions_to_pretraining_pairs(tmp_path):
    regions, image_data = write_vg(tmp_path, REGIONS)
    out = tmp_path / 'data'
    report = convert_vg_regions(regions, image_data, str(out),
                                show_progress=False)
    pairs = json.loads((out / 'annotations/pretrain/vg.json').read_text())
    assert pairs == [
        dict(image='vg/VG_100K_2/1.jpg',
             caption='the clock is green in colour'),
        dict(image='vg/VG_100K_2/1.jpg', caption='shade is along the street'),
        dict(image='vg/VG_100K/3.jpg', caption='a knife'),
        dict(image='vg/VG_100K/4.jpg', caption='a plate of food')]
    assert report.skipped == {'phrases repeated in an image': 1}
    ds = ImageTextDataset('annotations/pretrain/vg.json', data_root=str(out))
    assert ds[0]['img_path'] == f'{out}/vg/VG_100K_2/1.jpg'
    assert 'vg.json: 4 entries, 3 images, 4 captions' in report.summary()


def test_regions_options(tmp_path):
    regions, image_data = write_vg(tmp_path, REGIONS)
    karpathy = tmp_path / 'dataset_coco.json'
    karpathy.write_text(json.dumps(dict(dataset='coco', images=[
        dict(filepath='val2014', filename='x.jpg', split='test',
             cocoid=522418, sentences=[]),
        dict(filepath='train2014', filename='y.jpg', split='train',
             cocoid=9, sentences=[])])))
    report = convert_vg_regions(regions, image_data, str(tmp_path / 'd'),
                                karpathy=str(karpathy), min_region_frac=0.1,
                                max_per_image=1, show_progress=False)
    pairs = json.loads((tmp_path / 'd/annotations/pretrain/vg.json'
                        ).read_text())
    # 100x100 of 800x600 is under 10%: only the 400x600 region is left
    # (the repeated phrase is counted as small, once)
    assert [p['caption'] for p in pairs] == ['shade is along the street',
                                             'a plate of food']
    assert report.skipped == {
        'regions under 0.1 of the image': 2,
        'regions of Karpathy val/test COCO images (held out)': 1}


def test_regions_malformed(tmp_path):
    bad = [dict(REGIONS[0]), dict(id=3, regions=[dict(region_id=9,
                                                      image_id=3)]),
           dict(id=77, regions=[])]
    regions, image_data = write_vg(tmp_path, bad)
    with pytest.raises(ConversionError) as e:
        convert_vg_regions(regions, image_data, str(tmp_path / 'd'),
                           show_progress=False)
    assert str(e.value) == (f"{regions}: entry 1.regions[0]: missing field "
                            "'phrase'")
    report = convert_vg_regions(regions, image_data, str(tmp_path / 'd'),
                                strict=False, show_progress=False)
    assert report.skipped == {
        'phrases repeated in an image': 1,
        "malformed: missing field 'phrase'": 1,
        'malformed: image not in image_data.json': 1}
    regions, image_data = write_vg(tmp_path, REGIONS, [
        dict(image_id=1, url='1.jpg')])
    with pytest.raises(ConversionError,
                       match=r"image_data.json: entry 0: field 'url' '1.jpg'"
                       ' does not end in <folder>/<file>'):
        convert_vg_regions(regions, image_data, str(tmp_path / 'd'),
                           show_progress=False)


def test_regions_max_per_image(tmp_path):
    regions, image_data = write_vg(tmp_path, REGIONS)
    report = convert_vg_regions(regions, image_data, str(tmp_path / 'd'),
                                max_per_image=1, show_progress=False)
    assert report.skipped == {'phrases repeated in an image': 1,
                              'phrases beyond 1 per image': 1}
