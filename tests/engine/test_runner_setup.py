"""prepare_cfg applies env_cfg.keep_freed_cpu_memory."""
import pytest
from mmengine.config import Config

import semmim.engine.runner_setup as runner_setup


@pytest.mark.parametrize('env_cfg, expected', [
    (dict(keep_freed_cpu_memory=True), [True]),
    (dict(keep_freed_cpu_memory=False), []),
    (dict(), []),
])
def test_keep_freed_cpu_memory(env_cfg, expected, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(runner_setup, 'keep_freed_memory', calls.append)
    cfg = Config(dict(env_cfg=env_cfg, work_dir=str(tmp_path)))
    runner_setup.prepare_cfg(cfg)
    assert calls == expected


def test_default_runtime_turns_it_on():
    from tests.conftest import REPO
    cfg = Config.fromfile(f'{REPO}/configs/_base_/default_runtime.py')
    assert cfg.env_cfg.keep_freed_cpu_memory is True
