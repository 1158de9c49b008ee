"""The inference examples of README.md (and of ``vl_demo.py --help``) run
as written with a checkpoint of the demo config.

The checkpoint is built here, not trained: the demo config's model with its
initial weights, saved by MMEngine's Runner as ``tools/train.py`` saves it
(optimizer and message hub included). Each ``python tools/demo/vl_demo.py``
line of a README code block runs with its ``*.pth`` path replaced by that
checkpoint and ``data/shapes_vl`` by a tiny generated Shapes-VL.
"""
import importlib.util
import os.path as osp
import re
import shlex

import pytest
import torch

from tests.conftest import REPO

DEMO = 'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
PREFIX = 'python tools/demo/vl_demo.py '


def example_lines(text: str, in_code_blocks: bool = True) -> list:
    """``python tools/demo/vl_demo.py ...`` commands (continuations
    joined) of fenced code blocks (or of any text)."""
    lines, inside, pending = [], not in_code_blocks, ''
    for raw in text.splitlines():
        line = raw.strip()
        if in_code_blocks and line.startswith('```'):
            inside = not inside
            continue
        if not inside:
            continue
        if pending:
            pending += ' ' + line.rstrip('\\').strip()
            if not line.endswith('\\'):
                lines.append(pending)
                pending = ''
            continue
        if line.startswith(PREFIX):
            if line.endswith('\\'):
                pending = line.rstrip('\\').strip()
            else:
                lines.append(line)
    return lines


def readme_examples():
    with open(osp.join(REPO, 'README.md'), encoding='utf-8') as f:
        return example_lines(f.read())


def docstring_examples():
    with open(osp.join(REPO, 'tools', 'demo', 'vl_demo.py')) as f:
        doc = f.read().split('"""')[1]
    return example_lines(doc.replace('\\\\', '\\'), in_code_blocks=False)


@pytest.fixture(scope='module')
def demo_checkpoint(tiny_shapes_v2, tmp_path_factory):
    """The demo config's model, initial weights, saved by the Runner."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from semmim.engine.runner_setup import prepare_cfg
    work = tmp_path_factory.mktemp('demo_ckpt')
    cfg = Config.fromfile(osp.join(REPO, DEMO))
    cfg.train_dataloader.dataset.data_root = tiny_shapes_v2 + '/'
    cfg.train_dataloader.dataset.indices = None
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg = prepare_cfg(cfg, work_dir=str(work))
    runner = Runner.from_cfg(cfg)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.save_checkpoint(str(work), 'last.pth',
                           save_param_scheduler=False)
    return str(work / 'last.pth')


@pytest.fixture(scope='module')
def vl_demo():
    spec = importlib.util.spec_from_file_location(
        'vl_demo', osp.join(REPO, 'tools', 'demo', 'vl_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(line, vl_demo, checkpoint, data_root, capsys):
    args = shlex.split(line, comments=True)[2:]  # python tools/demo/...
    args = [checkpoint if a.endswith('.pth') else
            re.sub(r'^data/shapes_vl_v2', data_root, a) for a in args]
    capsys.readouterr()
    assert vl_demo.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    task = args[0]
    if task == 'retrieve':
        assert re.fullmatch(r'\s+-?\d+\.\d{3}  .+', out[-1]), out[-3:]
    elif task == 'caption':
        assert re.fullmatch(r'.+\.png: .*', out[-1]), out[-3:]
    else:
        assert out[-1].startswith('A: '), out[-3:]
    return out


def test_the_demo_checkpoint_is_a_runner_checkpoint(demo_checkpoint):
    ckpt = torch.load(demo_checkpoint, weights_only=True)
    assert {'meta', 'state_dict', 'optimizer', 'message_hub'} <= set(ckpt)
    # the pre-training checkpoint has no ITC queue (queue_size=0), the
    # zero-shot retrieval config a 1024-long one: what used to crash
    assert ckpt['state_dict']['itc_head.image_queue'].shape[0] == 0


@pytest.mark.slow  # ~15 s on 2 idle cores; README's lines run by default
def test_docstring_examples_run(demo_checkpoint, tiny_shapes_v2, vl_demo,
                                capsys):
    lines = docstring_examples()
    assert len(lines) == 4
    for line in lines:
        run_example(line, vl_demo, demo_checkpoint, tiny_shapes_v2, capsys)


def test_readme_examples_run(demo_checkpoint, tiny_shapes_v2, vl_demo,
                             capsys):
    lines = readme_examples()
    if not lines:
        pytest.skip('README.md has no `python tools/demo/vl_demo.py` line '
                    'in a code block')
    assert any(' retrieve ' in line for line in lines)
    for line in lines:
        run_example(line, vl_demo, demo_checkpoint, tiny_shapes_v2, capsys)


def test_example_parser():
    text = ('x\n```bash\n# c\npython tools/demo/vl_demo.py retrieve A B.pth '
            '\\\n    --image i.png   # note\npython tools/demo/vl_demo.py '
            'vqa C D.pth i.png "q?"  # a comment\n```\n'
            'python tools/demo/vl_demo.py outside\n')
    assert example_lines(text) == [
        'python tools/demo/vl_demo.py retrieve A B.pth --image i.png   '
        '# note',
        'python tools/demo/vl_demo.py vqa C D.pth i.png "q?"  # a comment']
