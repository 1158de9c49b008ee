"""A 2-process gloo run loses a rank: the survivor exits with a clear
one-line error within the timeout instead of hanging forever."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

WORKER = os.path.join(REPO, 'tests', 'faults', 'dist_worker.py')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start(tmp_path, how, timeout_s):
    env = dict(os.environ, MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(free_port()), WORLD_SIZE='2', KILL_AT='5',
               HOW=how, DIST_TIMEOUT=str(timeout_s), OMP_NUM_THREADS='1',
               WORK_DIR=str(tmp_path / 'work'))
    return [subprocess.Popen(
        [sys.executable, WORKER], cwd=REPO,
        env=dict(env, RANK=str(r), LOCAL_RANK=str(r)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for r in range(2)]


def error_lines(stderr):
    return [line for line in stderr.splitlines()
            if line.startswith(('error:', '(traceback'))]


@pytest.mark.timeout(300)
@pytest.mark.parametrize('how, timeout_s, within', [
    pytest.param('kill', 600, 60, id='killed'),
    pytest.param('stop', 8, 60, id='hung', marks=pytest.mark.slow),
])
def test_survivor_exits_with_a_clear_error(tmp_path, how, timeout_s,
                                           within):
    rank0, rank1 = start(tmp_path, how, timeout_s)
    try:
        if how == 'kill':
            rank1.wait(timeout=240)
            assert rank1.returncode == -signal.SIGKILL
        else:  # stopped, not dead: its sockets stay open
            for _ in range(2400):
                if 'stopping myself' in (rank1.stdout.readline() or ''):
                    break
        lost = time.time()
        _, err = rank0.communicate(timeout=240)
        waited = time.time() - lost
    finally:
        for p in (rank0, rank1):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert rank0.returncode == 1
    lines = error_lines(err)
    assert lines[0].startswith('error: rank 0 of 2: lost another rank of '
                               'the distributed run'), err[-2000:]
    assert lines[1].startswith('(traceback in ')
    # a dead peer breaks the connection at once; a hung one fails the
    # collective after the process group's timeout
    assert waited < within
    if how == 'stop':
        assert waited >= timeout_s - 1
