"""The default runtime's visualizer works with and without TensorBoard."""
import json
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from semmim.registry import VISBACKENDS, VISUALIZERS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def no_tensorboard(monkeypatch):
    # a None entry makes ``import`` raise ImportError, as a missing package
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)
    monkeypatch.setitem(sys.modules, 'tensorboardX', None)


def test_backend_without_tensorboard_is_a_no_op(no_tensorboard, tmp_path):
    backend = VISBACKENDS.build(dict(type='OptionalTensorboardVisBackend',
                                     save_dir=str(tmp_path)))
    with pytest.warns(UserWarning, match='TensorBoard logging is off'):
        backend.add_scalar('loss', 1.0, step=1)
    assert backend.available is False
    backend.add_scalars({'loss': 2.0, 'lr': 1e-3}, step=2)
    backend.add_config(Config(dict(a=1)))
    backend.close()


def test_default_runtime_visualizer_writes_scalars(no_tensorboard, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_',
                                   'default_runtime.py'))
    types = [b['type'] for b in cfg.visualizer['vis_backends']]
    assert types == ['LocalVisBackend', 'OptionalTensorboardVisBackend']
    vis_cfg = dict(cfg.visualizer, name='test_default_runtime_visualizer',
                   save_dir=str(tmp_path))
    visualizer = VISUALIZERS.build(vis_cfg)
    with pytest.warns(UserWarning, match='TensorBoard'):
        visualizer.add_scalars({'loss': 1.5, 'lr': 1e-4}, step=3)
    with open(tmp_path / 'vis_data' / 'scalars.json') as f:
        record = json.loads(f.readline())
    assert record == {'loss': 1.5, 'lr': 1e-4, 'step': 3}
    visualizer.close()


def test_backend_with_tensorboard_writes_events(tmp_path):
    pytest.importorskip('torch.utils.tensorboard')
    backend = VISBACKENDS.build(dict(type='OptionalTensorboardVisBackend',
                                     save_dir=str(tmp_path)))
    backend.add_scalar('loss', 1.0, step=1)
    backend.close()
    assert backend.available
    assert any(p.name.startswith('events.out.tfevents')
               for p in tmp_path.rglob('*'))
