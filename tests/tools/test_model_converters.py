"""The converter command lines on tiny models: files, printed summary,
``--verify`` against transformers, clear errors."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from transformers import (BertConfig, BertForMaskedLM, CLIPVisionConfig,
                          CLIPVisionModel)

from tests.conftest import TINY_BERT

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'tools', 'model_converters')


def load_cli(name: str):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def hf_dirs(tmp_path_factory):
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp('hf')
    CLIPVisionModel(CLIPVisionConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=2, image_size=32, patch_size=8,
        hidden_act='quick_gelu')).save_pretrained(root / 'clip')
    BertForMaskedLM(BertConfig(num_hidden_layers=4, **TINY_BERT)
                    ).save_pretrained(root / 'bert')
    return str(root / 'clip'), str(root / 'bert')


def test_clip_cli_writes_and_verifies(hf_dirs, tmp_path):
    """Run as a user does (a fresh process: no registry set up by tests)."""
    out = str(tmp_path / 'sub' / 'clip.pth')
    env = dict(os.environ, HF_HUB_OFFLINE='1')
    run = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'clip_to_semmim.py'), hf_dirs[0],
         out, '--verify'], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert 'format: hf' in run.stdout
    assert 'verify: max |ours - CLIPVisionModel|' in run.stdout
    assert 'OK' in run.stdout
    ckpt = torch.load(out, weights_only=True)
    assert all(k.startswith('vision_backbone.') for k in ckpt['state_dict'])
    assert ckpt['meta']['arch']['num_layers'] == 2
    assert ckpt['meta']['img_size'] == 32


def test_bert_cli_writes_and_verifies(hf_dirs, tmp_path, capsys):
    out = str(tmp_path / 'bert.pth')
    rc = load_cli('bert_to_semmim').main(
        [hf_dirs[1], out, '--text-layers', '2', '--vocab-size', '30524',
         '--verify'])
    printed = capsys.readouterr().out
    assert rc == 0
    assert 'fusion encoder: layers 2-3' in printed
    assert 'vocabulary resized 30522 -> 30524' in printed
    assert "'hidden_size': 32" in printed  # bert_cfg the config must set
    assert 'verify: max |text encoder' in printed and 'MISMATCH' not in printed
    state = torch.load(out, weights_only=True)['state_dict']
    prefixes = {k.split('.')[0] for k in state}
    assert prefixes == {'text_encoder', 'fusion_encoder', 'plm_head',
                        'mlm_head'}
    assert state['mlm_head.cls.predictions.bias'].shape == (30524, )


def test_cli_rejects_the_wrong_model(hf_dirs, tmp_path):
    with pytest.raises(ValueError, match='not a CLIP ViT'):
        load_cli('clip_to_semmim').main([hf_dirs[1],
                                         str(tmp_path / 'x.pth')])
    with pytest.raises(ValueError, match='not a BERT'):
        load_cli('bert_to_semmim').main([hf_dirs[0],
                                         str(tmp_path / 'y.pth')])
    with pytest.raises(FileNotFoundError):
        load_cli('bert_to_semmim').main([str(tmp_path / 'none'),
                                         str(tmp_path / 'z.pth')])
