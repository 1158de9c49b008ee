"""Models by name: the model index against configs/, the generated model
zoo, list_models / get_model, and the Python quick start run as written
(against random weights of the Shapes-VL configs)."""
import importlib.util
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from semmim.apis import (ImageCaptionInferencer,
                         ImageToTextRetrievalInferencer,
                         TextToImageRetrievalInferencer,
                         VisualQuestionAnsweringInferencer, get_model,
                         inference_model, list_models)
from semmim.apis import model as model_module
from semmim.registry import MODELS
from tests.apis.conftest import make
from tests.conftest import REPO

# the code-purity study leaves configs/ for projects/ (#25)
STUDY = osp.join('configs', 'semmim', 'shapes-vl_code-purity')
TASKS = {'Vision-Language Pre-training', 'Image-To-Text Retrieval',
         'Text-To-Image Retrieval', 'Image Caption',
         'Visual Question Answering'}
SHAPES = dict(retrieval='semmim-retrieval_small_1xb64_shapes-vl-v2',
              caption='semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2',
              vqa='semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2')


def load_stat():
    spec = importlib.util.spec_from_file_location(
        'semmim_docs_stat', osp.join(REPO, 'docs', 'stat.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def stat():
    return load_stat()


@pytest.fixture(scope='module')
def index(stat):
    return stat.load_models(REPO)


def leaf_configs():
    """Every config under configs/ a user runs (not the _base_ parts)."""
    found = []
    for dirpath, dirs, files in os.walk(osp.join(REPO, 'configs')):
        dirs[:] = sorted(d for d in dirs if d != '_base_')
        rel = osp.relpath(dirpath, REPO)
        if rel == STUDY or rel.startswith(STUDY + os.sep):
            continue
        found += [osp.join(rel, f) for f in files if f.endswith('.py')]
    return found


def test_every_config_has_a_name_and_every_name_a_config(index):
    configs = [m.config for m in index]
    missing = sorted(set(leaf_configs()) - set(configs))
    assert not missing, f'configs without a model-index entry: {missing}'
    gone = [f'{m.filepath}: {m.name}: {m.config}' for m in index
            if not osp.isfile(osp.join(REPO, m.config))]
    assert not gone, f'entries whose config does not exist: {gone}'
    names = [m.name for m in index]
    assert len(set(names)) == len(names)
    # the name is the config's file name, as in mmpretrain
    assert all(m.name == osp.splitext(osp.basename(m.config))[0]
               for m in index)


def test_entries_follow_the_metafile_format(index):
    for m in index:
        where = f'{m.filepath}: {m.name}'
        assert m.in_collection == 'SemMIM', where
        assert 'Weights' in m.data or m.weights is None, where
        meta = m.metadata.data
        assert meta.get('Training Data') and meta.get(
            'Training Resources'), where
        # figures say where they come from: the paper or a measurement
        source = m.data.get('Results From')
        assert bool(m.results) == bool(source), where
        if source:
            assert re.match(r'(paper, Tables? \d|measured \((README|docs/))',
                            source), where
            assert ('shapes-vl' in m.name) == source.startswith(
                'measured'), where
        for r in m.results or []:
            assert r.task in TASKS, where
            assert r.dataset and r.metrics, where
            assert all(isinstance(v, (int, float)) and 0 <= v <= 200
                       for v in r.metrics.values()), where


def test_model_zoo_page_is_generated_from_the_metafiles(stat, index):
    with open(osp.join(REPO, 'docs', 'model_zoo.md'),
              encoding='utf-8') as f:
        page = f.read()
    assert page == stat.render(index), 'run python docs/stat.py'
    for m in index:
        assert f'`{m.name}`' in page and f'(../{m.config})' in page


def test_list_models_filters_as_mmpretrain(index):
    names = sorted(m.name.lower() for m in index)
    assert list_models() == names
    assert list_models('semmim-vqa') == [
        n for n in names if n.startswith('semmim-vqa')]
    assert list_models('*shapes-vl', exclude_patterns=['semmim-caption']) \
        == [n for n in names
            if 'shapes-vl' in n and not n.startswith('semmim-caption')]
    for inferencer in (ImageCaptionInferencer,
                       VisualQuestionAnsweringInferencer,
                       ImageToTextRetrievalInferencer,
                       TextToImageRetrievalInferencer):
        expected = sorted(m.name.lower() for m in index
                          if any(r.task == inferencer.task
                                 for r in m.results or []))
        assert expected and inferencer.list_models() == expected
    assert 'pretrain_4m' not in ImageCaptionInferencer.list_models()


def test_the_index_is_found_in_the_source_tree_or_the_package(
        tmp_path, monkeypatch):
    pkg = tmp_path / 'semmim'
    (pkg / '.mim').mkdir(parents=True)
    monkeypatch.setattr(model_module, 'PACKAGE_ROOT', str(pkg))
    with pytest.raises(FileNotFoundError, match='model-index.yml'):
        model_module.mim_root()
    (pkg / '.mim' / 'model-index.yml').write_text('Import: []\n')
    assert model_module.mim_root() == str(pkg / '.mim')  # a wheel
    for name in ('model-index.yml', 'setup.py'):
        (tmp_path / name).write_text('')
    (tmp_path / 'configs').mkdir()
    assert model_module.mim_root() == str(tmp_path)  # a checkout


def test_setup_ships_configs_tools_and_index_in_the_package(tmp_path):
    spec = importlib.util.spec_from_file_location(
        'semmim_setup', osp.join(REPO, 'setup.py'))
    setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup)  # __main__ guard: no setup() call
    (tmp_path / 'semmim').mkdir()
    (tmp_path / 'configs' / 'vqa').mkdir(parents=True)
    (tmp_path / 'configs' / 'vqa' / 'a.py').write_text('x = 1\n')
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'model-index.yml').write_text('Import: []\n')
    assert setup.add_mim_extension(['setup.py', 'egg_info'],
                                   str(tmp_path)) is None
    mim = tmp_path / 'semmim' / '.mim'
    assert not mim.exists()
    assert setup.add_mim_extension(['setup.py', 'editable_wheel'],
                                   str(tmp_path)) == 'symlink'
    assert all(osp.islink(mim / f) for f in setup.MIM_FILES)
    assert (mim / 'configs' / 'vqa' / 'a.py').read_text() == 'x = 1\n'
    assert setup.add_mim_extension(['setup.py', 'bdist_wheel'],
                                   str(tmp_path)) == 'copy'
    assert not any(osp.islink(mim / f) for f in setup.MIM_FILES)
    assert (mim / 'configs' / 'vqa' / 'a.py').read_text() == 'x = 1\n'
    with open(osp.join(REPO, 'MANIFEST.in')) as f:
        manifest = f.read()
    assert 'semmim/.mim/model-index.yml' in manifest
    assert 'recursive-include semmim/.mim/configs' in manifest


def test_get_model_errors():
    with pytest.raises(ValueError, match='did you mean semmim-vqa_vit-t-p8'):
        get_model('semmim-vqa_vit-t-p8_shapes')
    with pytest.raises(FileNotFoundError, match='nowhere.py'):
        get_model('nowhere.py')
    with pytest.raises(TypeError, match='not int'):
        get_model(3)


def test_get_model_from_a_config_object(tmp_path):
    config, ckpt = make(tmp_path, 'vqa')
    cfg = Config.fromfile(config)
    with pytest.warns(UserWarning, match='no released weights'):
        model = get_model(cfg, pretrained=True, max_length=3)
    assert model._metainfo is None and model.max_length == 3
    assert not model.training
    model = get_model(cfg, pretrained=ckpt)
    state = torch.load(ckpt)['state_dict']
    name = 'plm_head.decoder.lm.cls.predictions.bias'
    torch.testing.assert_close(model.state_dict()[name], state[name])


@pytest.fixture(scope='module')
def shapes_checkpoints(tmp_path_factory):
    """Random weights of the Shapes-VL retrieval, caption and VQA models,
    saved where the quick start reads the downstream demo's checkpoints."""
    root = tmp_path_factory.mktemp('quick_start')
    iters = dict(retrieval=200, caption=160, vqa=500)
    paths = {}
    for task, name in SHAPES.items():
        torch.manual_seed(0)
        # PyTorch's initialisation: init_weights() would cost 5 s a model
        model = MODELS.build(model_module.ModelHub.get(name).config.model)
        tokenizer = getattr(model, 'tokenizer', None)
        for key, value in model.state_dict().items():
            if key.endswith('cls.predictions.bias'):
                # random weights would decode to the longest answer and
                # caption: make [SEP] likely, so generation ends early
                value[tokenizer.sep_token_id] = 50.0
        folder = root / 'work_dirs' / 'demo' / 'downstream' / task
        folder.mkdir(parents=True)
        paths[task] = folder / f'iter_{iters[task]}.pth'
        torch.save(dict(state_dict=model.state_dict()), paths[task])
    return root, paths


def quick_starts():
    """The Python quick start of docs/model_zoo.md and of README.md (once
    it has one)."""
    found = {}
    for doc in ('docs/model_zoo.md', 'README.md'):
        with open(osp.join(REPO, doc), encoding='utf-8') as f:
            blocks = re.findall(r'```python\n(.*?)```', f.read(), re.S)
        for b in blocks:
            if 'semmim import apis' in b or 'semmim.apis' in b:
                found.setdefault(b.strip(), []).append(doc)  # once each
    return [pytest.param(b, id='+'.join(docs))
            for b, docs in found.items()]


@pytest.mark.parametrize('code', quick_starts())
def test_quick_start_runs_as_written(code, shapes_checkpoints, monkeypatch,
                                     capsys):
    root, paths = shapes_checkpoints
    os.makedirs(root / 'data' / 'shapes_vl_v2' / 'images' / 'test',
                exist_ok=True)
    img = np.zeros((128, 128, 3), np.uint8)
    img[30:90, 30:90] = (255, 0, 0)
    Image.fromarray(img).save(
        root / 'data' / 'shapes_vl_v2' / 'images' / 'test' / '000000.png')
    if not osp.exists(root / 'configs'):
        os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    monkeypatch.chdir(root)
    assert len(code.strip().splitlines()) <= 10
    ns = {}
    capsys.readouterr()
    exec(compile(code, 'quick_start', 'exec'), ns)
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == str(list_models('*shapes-vl-v2'))
    # the weights are the checkpoints', not new random ones
    for task, obj in (('retrieval', ns['retrieve']),
                      ('caption', ns['caption']), ('vqa', ns['vqa'])):
        assert type(obj.model).__name__ == {
            'retrieval': 'SemMIMRetrieval', 'caption': 'SemMIMCaption',
            'vqa': 'SemMIMVQA'}[task]
        state = torch.load(paths[task])['state_dict']
        own = obj.model.state_dict()
        differ = [k for k, v in state.items() if not torch.equal(own[k], v)]
        assert not differ, f'{task}: not the checkpoint\'s: {differ[:3]}'
    out = ns['retrieve']('data/shapes_vl_v2/images/test/000000.png',
                         topk=2)
    assert [sorted(m) for m in out[0]] == [
        ['match_score', 'sample_idx', 'similarity', 'text']] * 2


def test_inference_model_picks_the_inferencer_of_the_task(
        shapes_checkpoints, tmp_path):
    _, paths = shapes_checkpoints
    image = np.zeros((64, 64, 3), np.uint8)
    out = inference_model(SHAPES['vqa'], image, 'what color?',
                          pretrained=str(paths['vqa']), batch_size=1)
    assert out['question'] == 'what color?'
    assert isinstance(out['pred_answer'], str)
    with pytest.raises(ValueError, match='pretrain_4m: no inferencer for '
                       'its tasks .Vision-Language Pre-training'):
        inference_model('pretrain_4m', image)
