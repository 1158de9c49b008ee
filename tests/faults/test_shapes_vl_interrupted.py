"""Shapes-VL generation killed half way, then run again: the result is
complete and byte-identical to an uninterrupted run."""
import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from semmim.datasets.shapes_vl import generate_shapes_vl
from semmim.datasets.shapes_vl.writer import (annotation_files,
                                              dataset_settings, is_complete)
from tests.conftest import REPO

SIZES = dict(num_train=240, num_val=8, num_test=8)


def tree(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                out[os.path.relpath(path, root)] = hashlib.sha1(
                    f.read()).hexdigest()
    return out


@pytest.mark.timeout(300)
def test_killed_generation_reruns_to_identical_output(tmp_path):
    out = tmp_path / 'killed'
    proc = subprocess.Popen(
        [sys.executable, '-m', 'semmim.datasets.shapes_vl', '--out-dir',
         str(out), '--num-train', str(SIZES['num_train']), '--num-val',
         str(SIZES['num_val']), '--num-test', str(SIZES['num_test']),
         '--image-size', '32', '--workers', '1', '--no-progress'],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    train_dir = out / 'images' / 'train'
    try:
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            if train_dir.is_dir() and len(os.listdir(train_dir)) >= 40:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, 'finished before the kill'
    written = len(os.listdir(train_dir))
    assert 40 <= written < SIZES['num_train']
    settings = dataset_settings(
        dict(train=SIZES['num_train'], val=SIZES['num_val'],
             test=SIZES['num_test']), 32, 0)
    assert not is_complete(str(out), settings)
    assert not (out / 'annotations' / 'pretrain_train.json').exists()

    summary = generate_shapes_vl(str(out), image_size=32, num_workers=1,
                                 progress=False, **SIZES)
    assert summary['skipped'] is False and is_complete(str(out), settings)
    reference = tmp_path / 'reference'
    generate_shapes_vl(str(reference), image_size=32, num_workers=1,
                       progress=False, **SIZES)
    got, want = tree(out), tree(reference)
    # every image, every annotation file and meta.json
    assert len(want) == sum(SIZES.values()) + len(annotation_files()) + 1
    assert got == want
