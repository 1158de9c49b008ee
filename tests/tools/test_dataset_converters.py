"""The converter command lines (tools/dataset_converters/*.py): printed
counts, one-line errors, defaults that land where the configs read."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from semmim.datasets.converters import cli

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'dataset_converters')


def karpathy_flickr(tmp_path, raw='Two young guys.'):
    path = tmp_path / 'dataset_flickr30k.json'
    path.write_text(json.dumps(dict(dataset='flickr30k', images=[
        dict(filename='1000092795.jpg', imgid=0, split=split,
             sentids=[0], sentences=[dict(raw=raw, tokens=[], imgid=0,
                                          sentid=0)])
        for split in ('train', 'val', 'test')])))
    return str(path)


def test_every_source_has_a_script():
    for name in ('coco', 'flickr30k', 'vqa_v2', 'visual_genome', 'cc3m',
                 'sbu', 'nocaps', 'pretrain_4m', 'generate_shapes_vl'):
        assert osp.isfile(osp.join(TOOLS, f'{name}.py')), name


@pytest.mark.parametrize('main', [
    'coco', 'flickr30k', 'vqa_v2', 'visual_genome', 'cc3m', 'sbu', 'nocaps',
    'pretrain_4m'])
def test_help(main, capsys):
    with pytest.raises(SystemExit) as e:
        getattr(cli, f'main_{main}')(['--help'])
    assert e.value.code == 0
    assert '--skip-bad' in capsys.readouterr().out


def test_script_runs_as_a_command(tmp_path):
    """From another folder, without PYTHONPATH: the script uses the
    checkout it belongs to."""
    out = tmp_path / 'data'
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'flickr30k.py'),
         karpathy_flickr(tmp_path), '--out-root', str(out),
         '--no-progress'], capture_output=True, text=True, cwd=str(tmp_path),
        env=env)
    assert proc.returncode == 0, proc.stderr
    assert 'flickr30k_train.json: 1 entries, 1 images, 1 captions' in (
        proc.stdout)
    assert (out / 'annotations/retrieval/flickr30k_test.json').is_file()


def test_malformed_input_is_one_line_and_exit_code(tmp_path, capsys):
    path = karpathy_flickr(tmp_path, raw='  ')
    code = cli.main_flickr30k([path, '--out-root', str(tmp_path / 'd'),
                               '--no-progress'])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (f"error: {path}: images[0].sentences[0]: field 'raw' is "
                   'empty (--skip-bad counts and skips such entries)\n')
    code = cli.main_flickr30k([path, '--out-root', str(tmp_path / 'd'),
                               '--no-progress', '--skip-bad'])
    out = capsys.readouterr().out
    assert code == 0
    assert "3 malformed: empty 'raw'" in out
    assert '3 images with no caption left' in out
    code = cli.main_flickr30k([str(tmp_path / 'nope.json'), '--out-root',
                               str(tmp_path / 'd')])
    assert code == 1
    assert capsys.readouterr().err == (
        f'error: {tmp_path}/nope.json: annotation file not found\n')


def test_cc3m_defaults_and_pretrain_4m(tmp_path, capsys):
    out = tmp_path / 'data'
    tsv = tmp_path / 'Validation_GCC-1.1.0-Validation.tsv'
    tsv.write_text('a dog\thttp://a.com/1.jpg\na cat\thttp://a.com/2.jpg\n')
    img = out / 'cc3m' / 'val' / '00000' / '000000001.jpg'
    img.parent.mkdir(parents=True)
    img.write_bytes(b'x')
    assert cli.main_cc3m([str(tsv), '--out-root', str(out),
                          '--no-progress']) == 0
    text = capsys.readouterr().out
    assert 'cc3m_val.json: 1 entries, 1 images, 1 captions' in text
    assert '1 pairs whose image file is missing' in text
    assert json.loads((out / 'annotations/pretrain/cc3m_val.json'
                       ).read_text()) == [dict(
                           image='cc3m/val/00000/000000001.jpg',
                           caption='a cat')]
    assert cli.main_pretrain_4m(['--out-root', str(out),
                                 '--no-progress']) == 0
    text = capsys.readouterr().out
    assert 'cc3m            1  2,950,000          1  2,950,000' in text
    assert 'coco            0    113,000          0    567,000   (not found)' \
        in text
    assert "0.0% of the paper's 4M images" in text


def test_inconsistent_options_are_one_line(tmp_path, capsys):
    q = tmp_path / 'q.json'
    q.write_text(json.dumps(dict(data_subtype='val2014', questions=[])))
    code = cli.main_vqa_v2(['--questions', str(q), '--vg-qa', str(q),
                            '--out-root', str(tmp_path), '--no-progress'])
    assert code == 1
    assert capsys.readouterr().err == (
        'error: Visual Genome QA needs image_data.json for the image paths '
        '(--vg-image-data)\n')
