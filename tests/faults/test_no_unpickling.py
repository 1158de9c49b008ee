"""A malicious checkpoint (its pickle writes a marker file when loaded
with plain ``pickle``) is refused by every path that loads a user's file,
in one line naming the file, and the marker is never written."""
import importlib.util
import os
import os.path as osp
import pickle

import pytest
import torch

from semmim.utils.checkpoint_io import CheckpointLoadError
from tests.apis.conftest import make, make_images
from tests.conftest import REPO
from tests.faults.toy import toy_runner


class Payload:
    """Unpickling this runs ``exec``: it writes the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f'open({self.marker!r}, "w").write("pwned")', ))


def _tool(*parts):
    path = osp.join(REPO, *parts)
    spec = importlib.util.spec_from_file_location(parts[-1][:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=['in_checkpoint', 'bare_pickle'])
def evil(request, tmp_path):
    """(file, marker): an MMEngine-like checkpoint with the payload in its
    meta, or a plain pickle of the payload."""
    marker = str(tmp_path / 'MARKER')
    path = tmp_path / 'evil.pth'
    if request.param == 'in_checkpoint':
        torch.save(dict(meta=dict(note=Payload(marker)),
                        state_dict={'linear.weight': torch.zeros(1, 4)}),
                   path)
    else:
        with open(path, 'wb') as f:
            pickle.dump(Payload(marker), f)
    yield str(path), marker


def _one_line(err, path, prefix=''):
    msg = str(err)
    assert '\n' not in msg, msg
    # a bare pickle is not even a zip archive: --resume stops before
    # unpickling anything, when it checks the file is whole
    assert msg.startswith(f'{path}: refused to unpickle') or \
        msg.startswith(f'{prefix}{path}: truncated or corrupted'), msg
    return msg


def test_the_payload_is_live(tmp_path):
    marker = tmp_path / 'live'
    with open(tmp_path / 'p.pkl', 'wb') as f:
        pickle.dump(Payload(str(marker)), f)
    with open(tmp_path / 'p.pkl', 'rb') as f:
        pickle.load(f)  # what torch.load(weights_only=False) would do
    assert marker.read_text() == 'pwned'


def test_every_loading_path_refuses(evil, tmp_path, capsys):
    path, marker = evil
    from semmim.apis import ImageCaptionInferencer
    from semmim.apis.base import build_model
    from semmim.models.utils import checkpoint_converters as cc
    from semmim.models.utils.bert import read_hf_state_dict
    from semmim.utils.checkpoint_io import load_checkpoint_file

    refusals = []
    # 1. the loader itself
    with pytest.raises(CheckpointLoadError) as e:
        load_checkpoint_file(path)
    refusals.append(_one_line(e.value, path))
    # 2. inferencers (semmim.apis) and 3. tools/demo/vl_demo.py
    config, _ = make(tmp_path, 'caption')
    with pytest.raises(CheckpointLoadError) as e:
        build_model(config, path)
    refusals.append(_one_line(e.value, path))
    with pytest.raises(CheckpointLoadError) as e:
        ImageCaptionInferencer(config, path)
    refusals.append(_one_line(e.value, path))
    from semmim.engine.config_checks import run_tool
    vl_demo = _tool('tools', 'demo', 'vl_demo.py')
    image = make_images(tmp_path)[0]
    capsys.readouterr()
    assert run_tool(vl_demo.main, ['caption', config, path, image]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f'error: {path}: refused to unpickle')
    # 4. Runner load_from (fine-tuning, tools/test.py) and 5. --resume
    with pytest.raises(CheckpointLoadError) as e:
        toy_runner(tmp_path / 'load', load_from=path).train()
    refusals.append(_one_line(e.value, path))
    with pytest.raises(CheckpointLoadError) as e:
        toy_runner(tmp_path / 'resume', resume=True, load_from=path).train()
    refusals.append(_one_line(e.value, path, '--resume '))
    # 6. init_cfg=dict(type='Pretrained', checkpoint=...) goes through
    # MMEngine's load_checkpoint
    from mmengine.runner import load_checkpoint
    with pytest.raises(CheckpointLoadError) as e:
        load_checkpoint(torch.nn.Linear(4, 1), path)
    refusals.append(_one_line(e.value, path))
    # 7. the converters (clip_to_semmim.py, bert_to_semmim.py)
    with pytest.raises(CheckpointLoadError) as e:
        cc.read_state_dict(path)
    refusals.append(_one_line(e.value, path))
    hf = tmp_path / 'hf'
    hf.mkdir()
    os.link(path, hf / 'pytorch_model.bin')
    with pytest.raises(CheckpointLoadError) as e:
        read_hf_state_dict(str(hf))
    _one_line(e.value, str(hf / 'pytorch_model.bin'))
    # 8. the code-purity study's shape_supervised_vit.py --init
    tool = _tool('projects', 'shapes_vl_code_purity', 'tools',
                 'shape_supervised_vit.py')
    with pytest.raises(SystemExit) as e:
        tool.main([config, '--init', path, '--out', str(tmp_path / 'o')])
    refusals.append(_one_line(e.value.code, path))
    assert len(refusals) == 8
    assert not osp.exists(marker)
