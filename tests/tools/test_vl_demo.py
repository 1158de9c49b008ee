"""The demo CLI, in-process (a subprocess would pay the imports again)."""
import importlib.util
import json
import os.path as osp

import pytest

from tests.apis.conftest import make, make_images

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def images(tmp_path):
    return make_images(tmp_path)


@pytest.fixture(scope='module')
def vl_demo():
    spec = importlib.util.spec_from_file_location(
        'vl_demo', osp.join(ROOT, 'tools', 'demo', 'vl_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vqa(vl_demo, tmp_path, images, capsys):
    config, ckpt = make(tmp_path, 'vqa')
    capsys.readouterr()
    out = tmp_path / 'answers.json'
    assert vl_demo.main(['vqa', config, ckpt, images[0], 'what color?',
                         'how many?', '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'Q: what color?' in printed and 'A: ' in printed
    assert len(json.loads(out.read_text())) == 2


def test_retrieve_both_ways(vl_demo, tmp_path, images, capsys):
    config, ckpt = make(tmp_path, 'retrieval')
    texts = tmp_path / 'texts.json'
    texts.write_text(json.dumps([{'caption': ['a red square', 'red']},
                                 {'caption': 'a blue square'}]))
    capsys.readouterr()  # building the model logs its initialisation
    vl_demo.main(['retrieve', config, ckpt, '--image', images[0],
                  '--texts', str(texts), '--topk', '2'])
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == images[0] + ':' and len(printed) == 3
    assert all(line.split(None, 1)[1] in ('a red square', 'red',
                                          'a blue square')
               for line in printed[1:])
    out = tmp_path / 'r.json'
    vl_demo.main(['retrieve', config, ckpt, '--text', 'a red square',
                  '--images', str(tmp_path / 'images'), '--out', str(out)])
    result = json.loads(out.read_text())
    assert len(result) == 1 and len(result[0]) == 3
    assert {m['sample']['img_path'] for m in result[0]} == set(images)


def test_caption(vl_demo, tmp_path, images, capsys):
    config, ckpt = make(tmp_path, 'caption')
    capsys.readouterr()
    vl_demo.main(['caption', config, ckpt, images[1], '--show-dir',
                  str(tmp_path / 'vis')])
    assert capsys.readouterr().out.startswith(images[1] + ': ')
    assert (tmp_path / 'vis' / '1.png').is_file()


def test_retrieve_needs_a_direction(vl_demo):
    with pytest.raises(SystemExit):
        vl_demo.parse_args(['retrieve', 'c.py', 'x.pth', '--image', 'a.png'])
