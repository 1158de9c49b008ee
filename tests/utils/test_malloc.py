"""keep_freed_memory: large tensors come from the heap, not from mmap, and
their pages are reused instead of faulting in again.

glibc serves a request from memory the heap already holds before it
considers mmap, so what earlier tests left in this process's heap would
blur the "default" half; each check runs in a fresh interpreter.
"""
import json
import subprocess
import sys

import pytest

from semmim.cpu.malloc import mmapped_bytes

pytestmark = pytest.mark.skipif(
    mmapped_bytes() is None, reason='needs glibc >= 2.33 (mallinfo2)')

PROBE = r'''
import json, resource, sys
import torch
from semmim.cpu.malloc import keep_freed_memory, mmapped_bytes

SIZE = 64 * 2**20  # above glibc's largest mmap threshold (32 MiB)


def mmapped_while_holding():
    before = mmapped_bytes()
    t = torch.empty(SIZE // 4)
    t.fill_(1.)
    return mmapped_bytes() - before


def faults_per_allocation(passes=6):
    faults = []
    for _ in range(passes):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        torch.empty(SIZE // 4).fill_(1.)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt -
                      before)
    return faults


applied = keep_freed_memory(sys.argv[1] == 'keep')
print(json.dumps(dict(applied=applied, size=SIZE,
                      mmapped=mmapped_while_holding(),
                      faults=faults_per_allocation())))
'''


def probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, '-c', PROBE, mode], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def probes():
    return probe('default'), probe('keep')


def test_large_allocations_come_from_the_heap_when_enabled(probes):
    default, kept = probes
    assert default['applied'] and kept['applied']
    # glibc's default: a 64 MiB tensor is its own mmap-ed chunk
    assert default['mmapped'] >= default['size']
    assert kept['mmapped'] == 0


def test_freed_memory_is_reused_not_returned(probes):
    """With the setting, each step's tensor finds the pages the previous one
    freed; without it, every 4 KiB page faults in again (16384 per 64 MiB,
    fewer with transparent huge pages)."""
    default, kept = probes
    assert min(default['faults']) > 1000, default
    # the heap may grow once or twice before a freed block fits (alignment)
    assert max(kept['faults'][-3:]) < 100, kept
