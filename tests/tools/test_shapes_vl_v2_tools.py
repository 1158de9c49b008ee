"""The Shapes-VL v2 study tools: shape legibility and the v2 attribute
probe, on a tiny v2 dataset and a tiny model."""
import json

import pytest
import torch

from tests.conftest import tiny_checkpoint
from tests.tools.test_analysis_tools import load_tool


@pytest.fixture(scope='module')
def tiny_v2(tmp_path_factory):
    from semmim.datasets.shapes_vl import generate_shapes_vl
    root = tmp_path_factory.mktemp('shapes_vl_v2')
    generate_shapes_vl(str(root), num_train=12, num_val=2, num_test=4,
                       seed=0, num_workers=1, progress=False, world='v2')
    return str(root)


@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory, tiny_v2):
    config, checkpoint, _ = tiny_checkpoint(
        tmp_path_factory.mktemp('tiny_v2_semmim'), tiny_v2)
    return config, checkpoint


def test_quadrant_readout_pools_each_quadrant():
    tool = load_tool('shape_legibility')
    readout = tool.Readout(dims=1, num_classes=1, mode='quadrant')
    with torch.no_grad():
        readout.fc.weight.fill_(1.0)
        readout.fc.bias.zero_()
    # an 8 x 8 patch grid whose value is the patch's quadrant index
    grid = torch.zeros(8, 8)
    grid[:4, 4:], grid[4:, :4], grid[4:, 4:] = 1, 2, 3
    tokens = torch.cat([torch.full((1, 1), 9.0), grid.flatten()[:, None]])
    out = readout(tokens[None])
    # top left, top right, bottom left, bottom right (world_v2.QUADRANTS)
    assert out.flatten().tolist() == [0, 1, 2, 3]
    cls = tool.Readout(dims=1, num_classes=5, mode='cls')
    assert cls(tokens[None]).shape == (1, 4, 5)
    logits = torch.zeros(1, 4, 5)
    logits[0, 0, 2] = logits[0, 1, 0] = logits[0, 2, 3] = 1
    logits[0, 1, 4] = 0.5  # an object is read where there is none
    acc = tool.shape_accuracy(logits, torch.tensor([[2, 0, 1, 4]]))
    # objects: quadrant 0 right, 2 wrong (3 vs 1), 3 wrong (all-zero
    # logits read as shape 1, and as empty)
    assert acc['shape'] == pytest.approx(1 / 3)
    assert acc['empty'] == pytest.approx(3 / 4)


def test_shape_legibility_runs_and_refuses_v1(tiny_model, tiny_v2,
                                              tiny_shapes, tmp_path, capsys):
    config, _ = tiny_model
    tool = load_tool('shape_legibility')
    out = str(tmp_path / 'legibility.json')
    result = tool.main([config, '--data-root', tiny_v2, '--steps', '2',
                        '--batch-size', '4', '--eval-interval', '1',
                        '--out', out])
    printed = capsys.readouterr().out
    assert 'test shape accuracy' in printed
    assert [c['step'] for c in result['curve']] == [1, 2]
    assert 0 <= result['shape_accuracy'] <= 1
    with open(out) as f:
        assert json.load(f)['readout'] == 'quadrant'
    stopped = tool.main([config, '--data-root', tiny_v2, '--steps', '5',
                         '--batch-size', '4', '--eval-interval', '1',
                         '--stop-at', '0.0', '--readout', 'cls'])
    assert stopped['steps'] == 1 and 'stopping' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='not a Shapes-VL v2'):
        tool.main([config, '--data-root', tiny_shapes, '--steps', '1'])


def test_attribute_probe_on_v2(tiny_model, tiny_v2, tmp_path, capsys):
    config, checkpoint = tiny_model
    out = str(tmp_path / 'probe.json')
    report = load_tool('attribute_probe').main([
        config, checkpoint, '--data-root', tiny_v2, '--split', 'test',
        '--out', out])
    assert 'objects (Shapes-VL v2)' in capsys.readouterr().out
    assert report['world'] == 'v2' and report['num_images'] == 4
    for head in ('itc', 'itm'):
        assert report[head]['chance_shape'] == 0.25
        assert 0 <= report[head]['color'] <= 1
        assert 0 <= report[head]['shape'] <= 1
    with open(out) as f:
        assert json.load(f)['itc'] == report['itc']
