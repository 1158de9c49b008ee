"""Streaming JSON reading and writing of the converters."""
import inspect
import json

import pytest

from semmim.datasets.converters import (ConversionError, JsonListWriter,
                                        iter_json_array)
from semmim.datasets.converters.report import ConversionReport


@pytest.mark.parametrize('chunk_size', [1, 7, 4096])
def test_iter_json_array_matches_json_load(tmp_path, chunk_size):
    data = [{'a': 1, 'b': 'x, y]'}, 12345, 'str', [1, [2, 3]], None, 1.5e3,
            {'nested': {'list': [{'k': '}'}]}}]
    path = tmp_path / 'a.json'
    # both layouts: one line (ALBEF) and pretty-printed
    for text in (json.dumps(data), json.dumps(data, indent=2)):
        path.write_text(text)
        items = iter_json_array(str(path), chunk_size=chunk_size)
        assert inspect.isgenerator(items)
        assert list(items) == data


def test_iter_json_array_empty_and_errors(tmp_path):
    path = tmp_path / 'a.json'
    path.write_text(' [ ] ')
    assert list(iter_json_array(str(path))) == []
    path.write_text('{"images": []}')
    with pytest.raises(ConversionError, match='a.json: expected a JSON list'):
        list(iter_json_array(str(path)))
    path.write_text('[{"a": 1}, {"a": 2,}]')
    with pytest.raises(ConversionError,
                       match=r'a.json: element 1: not valid JSON'):
        list(iter_json_array(str(path), chunk_size=4))
    path.write_text('[1 2]')
    with pytest.raises(ConversionError, match='element 1: expected'):
        list(iter_json_array(str(path)))
    with pytest.raises(FileNotFoundError, match='nope.json'):
        list(iter_json_array(str(tmp_path / 'nope.json')))


def test_writer_replaces_only_when_done(tmp_path):
    path = tmp_path / 'out' / 'list.json'
    with JsonListWriter(str(path)) as w:
        w.write({'image': 'a.jpg', 'caption': 'é'})
        w.write({'image': 'b.jpg', 'caption': 'b'})
        assert not path.exists()
    assert json.loads(path.read_text()) == [
        {'image': 'a.jpg', 'caption': 'é'}, {'image': 'b.jpg', 'caption': 'b'}]
    with pytest.raises(RuntimeError):
        with JsonListWriter(str(path)) as w:
            w.write({'x': 1})
            raise RuntimeError
    # the earlier file is untouched and no temporary file is left
    assert len(json.loads(path.read_text())) == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ['list.json']


def test_report_counts_and_strictness():
    report = ConversionReport('x', strict=False)
    report.add('o.json', 'a.jpg', captions=2)
    report.add('o.json', 'a.jpg', captions=1)
    report.add('p.json', captions=1, new_image=True)
    report.bad(ConversionError("f.json: entry 3: missing field 'caption'",
                               "missing field 'caption'"))
    report.skip('pairs whose image file is missing', count=2)
    text = report.summary()
    assert 'wrote o.json: 2 entries, 1 images, 3 captions' in text
    assert 'wrote p.json: 1 entries, 1 images, 1 captions' in text
    assert "1 malformed: missing field 'caption'" in text
    assert "e.g. f.json: entry 3: missing field 'caption'" in text
    assert 'skipped 3 input entries' in text
    with pytest.raises(ConversionError, match='entry 3'):
        ConversionReport('x').bad(ConversionError('f.json: entry 3: x', 'x'))
