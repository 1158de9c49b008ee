"""CC3M and SBU: captions + URLs + a folder of downloaded images."""
import inspect
import json
import tracemalloc
import zlib

import pytest

from semmim.datasets import ImageTextDataset
from semmim.datasets.converters import (ConversionError, convert_web_pairs,
                                        image_name, iter_cc3m_tsv,
                                        iter_sbu_json, iter_sbu_txt)

URLS = ['http://example.com/a/img_0.jpg', 'https://x.org/p?id=1',
        'http://example.com/b/img_2.png', 'http://example.com/c/img_3.jpg']


def touch(root, rel):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'jpeg')


def test_image_name_templates():
    url = URLS[0]
    assert image_name('{shard:05d}/{index:09d}.jpg', 12345, url) == (
        '00001/000012345.jpg')
    assert image_name('{shard}/{index}.jpg', 12345, url, shard_size=1000) == (
        '12/12345.jpg')
    assert image_name('{url_name}', 0, url) == 'img_0.jpg'
    assert image_name('{crc32}', 0, url) == str(zlib.crc32(url.encode()))
    assert len(image_name('{md5}.jpg', 0, url)) == 36
    with pytest.raises(ValueError, match='fields are index, shard'):
        image_name('{row}.jpg', 0, url)


def test_cc3m_missing_images_counted_and_read_by_dataset(tmp_path):
    tsv = tmp_path / 'Train_GCC-training.tsv'
    tsv.write_text(''.join(f'caption {i}\t{u}\n' for i, u in enumerate(URLS)))
    out = tmp_path / 'data'
    images = out / 'cc3m' / 'train'
    for i in (0, 2):  # rows 1 and 3 were not downloaded
        touch(images, f'00000/{i:09d}.jpg')
    report = convert_web_pairs(
        iter_cc3m_tsv(str(tsv)), str(out / 'annotations/pretrain/'
                                     'cc3m_train.json'), str(images),
        str(out), show_progress=False)
    pairs = json.loads((out / 'annotations/pretrain/cc3m_train.json'
                        ).read_text())
    assert pairs == [dict(image='cc3m/train/00000/000000000.jpg',
                          caption='caption 0'),
                     dict(image='cc3m/train/00000/000000002.jpg',
                          caption='caption 2')]
    assert report.skipped == {'pairs whose image file is missing': 2}
    assert 'line 2: no ' in report.summary()
    assert 'cc3m_train.json: 2 entries, 2 images, 2 captions' in (
        report.summary())
    ds = ImageTextDataset('annotations/pretrain/cc3m_train.json',
                          data_root=str(out))
    assert ds[1]['img_path'] == f'{out}/cc3m/train/00000/000000002.jpg'


def test_cc3m_header_malformed_lines_and_outside_images(tmp_path):
    tsv = tmp_path / 'cc.tsv'
    tsv.write_text('caption\turl\n'
                   f'a dog\t{URLS[0]}\n'
                   'no tab here\n'
                   f' \t{URLS[1]}\n'
                   f'a cat\tnot a url\n'
                   f'a  bird \t{URLS[3]}\n')
    with pytest.raises(ConversionError) as e:
        convert_web_pairs(iter_cc3m_tsv(str(tsv)), str(tmp_path / 'o.json'),
                          str(tmp_path), check_images=False,
                          show_progress=False)
    assert str(e.value) == (f'{tsv}: line 3: expected caption<TAB>url, got '
                            '1 fields')
    images = tmp_path / 'elsewhere'
    touch(images, '0.jpg')
    touch(images, '4.jpg')
    report = convert_web_pairs(
        iter_cc3m_tsv(str(tsv)), str(tmp_path / 'data/o.json'), str(images),
        str(tmp_path / 'data'), name_template='{index}.jpg', strict=False,
        show_progress=False)
    pairs = json.loads((tmp_path / 'data/o.json').read_text())
    # rows keep their index after malformed lines; images outside the
    # data root are absolute
    assert pairs == [dict(image=f'{images}/0.jpg', caption='a dog'),
                     dict(image=f'{images}/4.jpg', caption='a bird')]
    assert report.skipped == {'malformed: not caption<TAB>url': 1,
                              'malformed: empty caption': 1,
                              'malformed: url is not a URL': 1}
    assert f"{tsv}: line 5: field 'url' is not a URL" in report.summary()


def test_cc3m_streams(tmp_path):
    """The TSV is read line by line and the output written entry by entry:
    peak memory does not grow with the number of lines."""
    assert inspect.isgenerator(iter_cc3m_tsv(__file__))

    def peak(n):
        tsv = tmp_path / f'{n}.tsv'
        with open(tsv, 'w') as f:
            for i in range(n):
                f.write(f'a caption with several words number {i}\t'
                        f'http://example.com/images/{i}.jpg\n')
        tracemalloc.start()
        report = convert_web_pairs(
            iter_cc3m_tsv(str(tsv)), str(tmp_path / f'{n}.json'),
            str(tmp_path), check_images=False, show_progress=False)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert report.num_images(str(tmp_path / f'{n}.json')) == n
        return top

    small, large = peak(1000), peak(20000)
    # 20x the lines (1.5 MB of text): the same peak, not 20x
    assert large < 1.5 * small + 64 * 1024, (small, large)


def test_sbu_text_files_and_json(tmp_path):
    urls = tmp_path / 'SBU_captioned_photo_dataset_urls.txt'
    caps = tmp_path / 'SBU_captioned_photo_dataset_captions.txt'
    urls.write_text('\n'.join(URLS[:3]) + '\n')
    caps.write_text('Man sits on a bench\nA tree in the park\n \n')
    assert inspect.isgenerator(iter_sbu_txt(str(urls), str(caps)))
    images = tmp_path / 'data' / 'sbu'
    touch(images, 'img_0.jpg')
    touch(images, 'img_2.png')
    report = convert_web_pairs(
        iter_sbu_txt(str(urls), str(caps)), str(tmp_path / 'data/sbu.json'),
        str(images), str(tmp_path / 'data'), name_template='{url_name}',
        strict=False, show_progress=False)
    assert json.loads((tmp_path / 'data/sbu.json').read_text()) == [
        dict(image='sbu/img_0.jpg', caption='Man sits on a bench')]
    assert report.skipped == {'pairs whose image file is missing': 1,
                              'malformed: empty caption': 1}
    # the two files must stay line-aligned
    caps.write_text('one\ntwo\n')
    with pytest.raises(ConversionError,
                       match='urls.txt: line 3: .*captions.txt ends at line '
                       '2'):
        list(iter_sbu_txt(str(urls), str(caps)))
    sbu = tmp_path / 'sbu-captions-all.json'
    sbu.write_text(json.dumps(dict(image_urls=URLS[:2],
                                   captions=['one', 'two'],
                                   user_ids=['u1', 'u2'])))
    rows = list(iter_sbu_json(str(sbu)))
    assert rows == [('entry 0', 'one', URLS[0]), ('entry 1', 'two', URLS[1])]
    sbu.write_text(json.dumps(dict(image_urls=URLS[:2], captions=['one'])))
    with pytest.raises(ConversionError, match='2 image_urls but 1 captions'):
        list(iter_sbu_json(str(sbu)))
