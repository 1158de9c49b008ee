"""Checkpoint faults: a save that dies half way (full disk), a truncated
or corrupted newest checkpoint, a wrong file given to --resume."""
import builtins
import errno
import logging
import os
import re

import pytest
import torch
from mmengine.runner.checkpoint import find_latest_checkpoint

from semmim.utils.checkpoint_io import (CheckpointLoadError, atomic_write,
                                        checkpoint_is_intact)
from tests.faults.toy import ToyDataset, toy_runner


def _warnings(runner):
    lines = []

    class H(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                lines.append(record.getMessage())

    runner.logger.addHandler(H())
    return lines


def test_atomic_write_keeps_the_old_file_on_a_full_disk(tmp_path,
                                                        monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    atomic_write(b'old' * 100, str(path))
    real_open = builtins.open

    class HalfFile:
        """Writes half of what it is given, then the disk is full."""

        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[:len(data) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, 'No space left on device')

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def half_open(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return HalfFile(f) if 'w' in mode and '.tmp-' in str(file) else f

    monkeypatch.setattr(builtins, 'open', half_open)
    with pytest.raises(OSError, match='No space left'):
        atomic_write(b'new' * 100, str(path))
    monkeypatch.undo()
    assert path.read_bytes() == b'old' * 100
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary left


def test_save_raising_half_way_keeps_previous_checkpoint(tmp_path,
                                                         monkeypatch):
    """The Runner's epoch-2 save dies half way through writing: epoch 1
    stays intact and is what --resume picks."""
    import semmim.utils.checkpoint_io as io
    real = io.atomic_write

    def dying(data, path):
        if path.endswith('epoch_2.pth'):
            with open(f'{path}.tmp-{os.getpid()}', 'wb') as f:
                f.write(data[:len(data) // 2])  # half written, then...
            raise OSError(errno.ENOSPC, 'No space left on device')
        return real(data, path)

    monkeypatch.setattr(io, 'atomic_write', dying)
    runner = toy_runner(tmp_path, max_epochs=3)
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    monkeypatch.undo()
    assert not (tmp_path / 'epoch_2.pth').exists()
    assert checkpoint_is_intact(str(tmp_path / 'epoch_1.pth')) is None
    assert find_latest_checkpoint(str(tmp_path)).endswith('epoch_1.pth')
    resumed = toy_runner(tmp_path, max_epochs=3, resume=True)
    resumed.train()
    assert resumed.iter == 12


@pytest.mark.parametrize('damage', ['truncate', 'corrupt'])
def test_resume_falls_back_from_a_broken_newest_checkpoint(tmp_path, damage):
    toy_runner(tmp_path, max_epochs=2).train()
    newest = tmp_path / 'epoch_2.pth'
    data = bytearray(newest.read_bytes())
    if damage == 'truncate':
        newest.write_bytes(bytes(data[:len(data) // 2]))
    else:  # flip bytes inside the stored tensors: the CRC catches it
        mid = len(data) // 3
        data[mid:mid + 16] = bytes(255 - b for b in data[mid:mid + 16])
        newest.write_bytes(bytes(data))
    assert checkpoint_is_intact(str(newest)) is not None
    runner = toy_runner(tmp_path, max_epochs=3, resume=True)
    warnings = _warnings(runner)
    runner.train()
    fallback = [w for w in warnings if w.startswith('--resume')]
    assert len(fallback) == 1
    assert str(newest) in fallback[0]
    assert str(tmp_path / 'epoch_1.pth') in fallback[0]
    assert runner.iter == 12  # epochs 2 and 3 trained again from epoch 1


def test_resume_with_nothing_intact_is_one_line(tmp_path):
    toy_runner(tmp_path, max_epochs=1).train()
    (tmp_path / 'epoch_1.pth').write_bytes(b'PK\x03\x04 broken')
    runner = toy_runner(tmp_path, max_epochs=2, resume=True)
    with pytest.raises(CheckpointLoadError) as err:
        runner.train()
    msg = str(err.value)
    assert '\n' not in msg and 'epoch_1.pth is truncated' in msg
    assert 'no intact' in msg


def test_resume_of_a_weights_only_file_points_to_load_from(tmp_path):
    toy_runner(tmp_path / 'a', max_epochs=1).train()
    ckpt = torch.load(tmp_path / 'a' / 'epoch_1.pth', weights_only=True)
    weights = tmp_path / 'weights.pth'
    torch.save(dict(state_dict=ckpt['state_dict']), weights)
    runner = toy_runner(tmp_path / 'b', resume=True, load_from=str(weights))
    with pytest.raises(CheckpointLoadError) as err:
        runner.train()
    msg = str(err.value)
    assert msg.startswith(f'{weights}: not a training checkpoint (no meta, '
                          'optimizer, message_hub)')
    assert f'load_from={weights} without --resume' in msg
    # the same file as load_from is fine
    runner = toy_runner(tmp_path / 'c', max_epochs=1, load_from=str(weights))
    runner.train()


class DyingWorkerDataset(ToyDataset):
    """Sample 5 kills the dataloader worker process that loads it."""

    def __getitem__(self, i):
        import signal
        if i == 5 and torch.utils.data.get_worker_info() is not None:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__getitem__(i)


def test_dataloader_worker_crash_is_one_line(tmp_path, capsys):
    from semmim.engine.config_checks import run_tool
    runner = toy_runner(tmp_path, max_epochs=2, num_workers=1,
                        dataset=DyingWorkerDataset())
    capsys.readouterr()
    assert run_tool(runner.train) == 1
    err = capsys.readouterr().err.splitlines()
    # which of PyTorch's two messages comes first depends on timing
    assert re.fullmatch(r'error: RuntimeError: DataLoader worker \(pid\S* '
                        r'\d+\) (exited unexpectedly|is killed by signal: '
                        r'Killed\.)|error: a DataLoader worker exited '
                        r'unexpectedly \(the main process read '
                        r'(EOFError|ConnectionResetError): .*\)',
                        err[0]), err
    # the epoch that died saved nothing; nothing half written either
    assert sorted(n for n in os.listdir(tmp_path) if '.pth' in n) == []
