"""Checkpoint matching: the share of the model's parameters found with the
right shape is reported; below the threshold loading fails unless a
partial load is intended; the documented cases keep working."""
import logging

import pytest
import torch

from semmim.apis.base import build_model
from semmim.utils.checkpoint_io import (CheckpointLoadError,
                                        match_state_dict)
from tests.apis.conftest import make
from tests.faults.toy import ToyModel, toy_runner


def test_share_counts_parameters_by_size():
    model = torch.nn.Sequential(torch.nn.Linear(10, 10),
                                torch.nn.Linear(10, 1))
    state = model.state_dict()
    partial = {k: v for k, v in state.items() if k.startswith('0.')}
    keep, report = match_state_dict(model, partial, 'x.pth', min_share=0.5)
    assert report.share == pytest.approx(110 / 121)
    assert report.missing == ['1.weight', '1.bias']
    assert set(keep) == {'0.weight', '0.bias'}
    wrong = dict(state, **{'0.weight': torch.zeros(3, 3)})
    with pytest.raises(CheckpointLoadError) as err:
        match_state_dict(model, wrong, 'x.pth', min_share=0.9)
    msg = str(err.value)
    assert msg.startswith("x.pth: 17.4% of the model's parameters found "
                          'with the right shape (3 tensors); wrong shape 1: '
                          '0.weight; below the 90% required')
    # a partial load that is intended
    keep, report = match_state_dict(model, wrong, 'x.pth', min_share=0.9,
                                    allow_partial=True)
    assert '0.weight' not in keep and report.mismatched == ['0.weight']


def test_a_random_state_dict_is_refused_by_inference(tmp_path):
    config, _ = make(tmp_path, 'caption')
    random = tmp_path / 'random.pth'
    torch.save({f'w{i}': torch.randn(4, 4) for i in range(5)}, random)
    with pytest.raises(CheckpointLoadError) as err:
        build_model(config, str(random))
    msg = str(err.value)
    assert msg.startswith(f"{random}: 0.0% of the model's parameters found")
    assert 'missing ' in msg and '5 checkpoint tensors unused' in msg


def test_other_image_size_resizes_pos_embed(tmp_path):
    """A checkpoint of another image size: mmpretrain's ViT interpolates
    ``pos_embed`` (fine-tuning at 384 px from 224 px is documented), so
    every parameter is found."""
    from mmengine.config import Config

    from semmim.registry import MODELS
    config, ckpt = make(tmp_path, 'caption')
    cfg = Config.fromfile(config)
    cfg.model.vision_backbone.img_size = 48
    model = MODELS.build(cfg.model)
    state = torch.load(ckpt, weights_only=True)['state_dict']
    keep, report = match_state_dict(model, state, ckpt)
    assert report.share == 1.0
    assert keep['vision_backbone.pos_embed'].shape == \
        model.vision_backbone.pos_embed.shape != \
        state['vision_backbone.pos_embed'].shape


def test_load_from_reports_and_refuses(tmp_path):
    toy_runner(tmp_path / 'a', max_epochs=1).train()
    good = str(tmp_path / 'a' / 'epoch_1.pth')
    runner = toy_runner(tmp_path / 'b', max_epochs=1, load_from=good)
    lines = []

    class H(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())
    runner.logger.addHandler(H())
    runner.train()
    assert f"{good}: 100.0% of the model's parameters found with the " \
        'right shape (2 tensors)' in lines
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'linear.weight': torch.zeros(2, 4),
                                'linear.bias': torch.zeros(2)}), other)
    with pytest.raises(CheckpointLoadError, match='wrong shape 2'):
        toy_runner(tmp_path / 'c', load_from=str(other)).train()
    # checkpoint_match = dict(allow_partial=True): loads what fits
    runner = toy_runner(tmp_path / 'd', max_epochs=1, load_from=str(other),
                        model=ToyModel())
    runner.cfg.checkpoint_match = dict(allow_partial=True)
    runner.train()


@pytest.mark.parametrize('task', ['retrieval', 'caption', 'vqa'])
def test_fine_tuning_from_pretraining_finds_everything(task):
    """The documented starts: a pre-training checkpoint fills every
    parameter of the retrieval, captioning and VQA models (the rest of it
    is unused, a queue of another size keeps its initial values)."""
    from semmim.registry import MODELS
    from tests.apis.conftest import model_cfg
    from tests.conftest import tiny_semmim_cfg
    pretrain = MODELS.build(tiny_semmim_cfg())
    model = MODELS.build(model_cfg(task))
    keep, report = match_state_dict(model, pretrain.state_dict(), 'p.pth')
    assert report.share == 1.0 and not report.missing
    assert report.unexpected  # momentum copies, other heads
