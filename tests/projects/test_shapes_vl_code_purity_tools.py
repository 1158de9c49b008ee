"""The Shapes-VL code-purity study's tools (projects/shapes_vl_code_purity),
in-process, on a tiny model and a tiny Shapes-VL."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from semmim.registry import MODELS
from semmim.visualization.attributes import shapes_vl_vocab
from semmim.visualization.samples import shapes_vl_samples
from tests.conftest import REPO

PROJECT = osp.join(REPO, 'projects', 'shapes_vl_code_purity')


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f'shapes_vl_code_purity_{name}', osp.join(PROJECT, 'tools',
                                                  f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loss_gradients(pretrained, tmp_path, capsys):
    """Every loss of the tiny model is measured; L_cls (online clean pass,
    no text) cannot reach the text encoder, ITC and L_patch (text injected
    into the masked pass) do."""
    out = str(tmp_path / 'grads.json')
    tool = load_tool('loss_gradients')
    stats = tool.main(list(pretrained) + [
        '--module', 'text_encoder', '--batches', '2', '--out', out])
    assert 'gradient of each loss on text_encoder' in capsys.readouterr().out
    assert {'loss_cls', 'loss_patch', 'loss_itc', 'loss_itm', 'loss_mlm',
            'loss_plm'} <= set(stats)
    assert stats['loss_cls']['grad_norm'] == 0
    assert stats['loss_itc']['grad_norm'] > 0
    assert stats['loss_patch']['grad_norm'] > 0
    for s in stats.values():
        assert -1 - 1e-9 <= s['cos_total'] <= 1 + 1e-9
    with open(out) as f:
        assert json.load(f)['losses'] == stats


def test_shape_supervised_vit(pretrained, tiny_shapes, tmp_path, capsys):
    """Trains the ViT (weights change), and the checkpoint starts the
    online ViT and its momentum copy alike, with no ViT key missing."""
    config, _ = pretrained
    out = str(tmp_path / 'vit.pth')
    result = load_tool('shape_supervised_vit').main([
        config, '--data-root', tiny_shapes, '--steps', '2', '--batch-size',
        '4', '--eval-interval', '1', '--out', out])
    printed = capsys.readouterr().out
    assert 'single-object test accuracy: shape' in printed
    assert 'colour' not in printed and result['color_accuracy'] is None
    assert 0 <= result['shape_accuracy'] <= 1
    assert result['prefixes'] == ['vision_backbone',
                                  'momentum_vision.module.backbone']
    untrained = str(tmp_path / 'untrained.pth')
    load_tool('shape_supervised_vit').main([
        config, '--data-root', tiny_shapes, '--steps', '0', '--out',
        untrained])
    before = torch.load(untrained, map_location='cpu')['state_dict']
    model = MODELS.build(Config.fromfile(config).model)
    state = torch.load(out, map_location='cpu')['state_dict']
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected
    assert not [k for k in missing if k.startswith(tuple(result['prefixes']))]
    online = model.vision_backbone.state_dict()
    momentum = model.momentum_vision.module.backbone.state_dict()
    assert all(torch.equal(online[k], momentum[k]) for k in online)
    key = 'vision_backbone.patch_embed.projection.weight'
    assert torch.equal(model.state_dict()[key], state[key])
    assert not torch.equal(state[key], before[key])


def test_shape_supervised_vit_with_colour_labels(pretrained, tiny_shapes,
                                                 tmp_path, capsys):
    """``--labels shape+color``: multi-hot shapes then colours, read from
    each scene, and both accuracies reported."""
    tool = load_tool('shape_supervised_vit')
    config, _ = pretrained
    model = MODELS.build(Config.fromfile(config).model)
    colors, shapes = shapes_vl_vocab(tiny_shapes)
    _, labels, single = tool.shape_data(model, tiny_shapes, 'test', shapes,
                                        colors)
    samples = shapes_vl_samples(tiny_shapes, 'test')
    assert labels.shape == (len(samples), len(shapes) + len(colors))
    for row, sample, one in zip(labels, samples, single):
        objects = sample['scene']['objects']
        assert bool(one) == (len(objects) == 1)
        want = {shapes.index(o['shape']) for o in objects} | \
            {len(shapes) + colors.index(o['color']) for o in objects}
        assert set(row.nonzero().flatten().tolist()) == want
    result = tool.main([
        config, '--data-root', tiny_shapes, '--labels', 'shape+color',
        '--steps', '1', '--batch-size', '4', '--eval-interval', '1',
        '--out', str(tmp_path / 'vit.pth')])
    printed = capsys.readouterr().out
    assert 'single-object test accuracy: shape' in printed
    assert ' colour ' in printed
    assert 0 <= result['shape_accuracy'] <= 1
    assert 0 <= result['color_accuracy'] <= 1


def test_shape_supervised_vit_continues_from_init(pretrained, tiny_shapes,
                                                  tmp_path):
    """``--init``: shape labels first, then shape and colour from there;
    the ViT and the head's shape rows carry over, the colour rows are
    new."""
    tool = load_tool('shape_supervised_vit')
    config, checkpoint = pretrained
    first, second = str(tmp_path / 'shape.pth'), str(tmp_path / 'both.pth')
    with pytest.raises(SystemExit, match=f'{checkpoint}: no "head" entry'):
        tool.main([config, '--data-root', tiny_shapes, '--steps', '0',
                   '--init', checkpoint, '--out', second])
    tool.main([config, '--data-root', tiny_shapes, '--steps', '2',
               '--batch-size', '4', '--out', first])
    tool.main([config, '--data-root', tiny_shapes, '--labels',
               'shape+color', '--steps', '0', '--init', first, '--out',
               second])
    a = torch.load(first, map_location='cpu')
    b = torch.load(second, map_location='cpu')
    assert b['meta']['init'] == first
    assert a['state_dict'].keys() == b['state_dict'].keys()
    assert all(torch.equal(a['state_dict'][k], b['state_dict'][k])
               for k in a['state_dict'])
    colors, shapes = shapes_vl_vocab(tiny_shapes)
    assert b['head']['bias'].shape == (len(shapes) + len(colors), )
    assert torch.equal(a['head']['weight'], b['head']['weight'][:len(shapes)])
    assert torch.equal(a['head']['bias'], b['head']['bias'][:len(shapes)])
