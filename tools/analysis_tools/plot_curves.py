"""Plot training curves from MMEngine's scalar logs.

MMEngine's ``LocalVisBackend`` writes one JSON object per logged iteration
to ``<work_dir>/<timestamp>/vis_data/scalars.json``. This tool draws every
loss, accuracy and learning rate found there against the iteration, one
panel each, into a PNG.

Example:
    python tools/analysis_tools/plot_curves.py work_dirs/demo/pretrain \\
        --out work_dirs/demo/training_curves.png
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Tuple

DPI = 110


def find_scalar_logs(path: str) -> List[str]:
    """``scalars.json`` files under ``path`` (a file, a run or a work dir),
    oldest run first, so resumed runs concatenate in order."""
    if osp.isfile(path):
        return [path]
    files = glob.glob(osp.join(path, '**', 'vis_data', 'scalars.json'),
                      recursive=True)
    if not files:
        raise FileNotFoundError(
            f'{path}: no vis_data/scalars.json (train with a config whose '
            'visualizer has LocalVisBackend, as default_runtime.py does)')
    return sorted(files)


def read_curves(files: List[str]) -> Dict[str, List[Tuple[int, float]]]:
    """``{key: [(step, value), ...]}`` of every numeric scalar."""
    curves = defaultdict(dict)
    for fname in files:
        with open(fname) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                # training records carry 'iter'; validation ones (by epoch)
                # only 'step' = epoch, which is not on this axis
                step = record.get('iter')
                if step is None:
                    continue
                for key, value in record.items():
                    if key in ('step', 'iter', 'epoch') or not isinstance(
                            value, (int, float)):
                        continue
                    curves[key][int(step)] = float(value)
    return {k: sorted(v.items()) for k, v in curves.items()}


def select(curves, keys=None):
    if keys:
        return {k: curves[k] for k in keys if k in curves}
    def order(k):
        return (not k.startswith('loss'), not k.startswith('acc'), k)

    picked = {k: v for k, v in curves.items()
              if k.startswith(('loss', 'acc', 'lr', 'base_lr', 'itc_temp',
                               'teacher_temp', 'grad_norm'))}
    return dict(sorted(picked.items(), key=lambda kv: order(kv[0])))


def plot(curves, out: str, title: str = '') -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n = len(curves)
    if n == 0:
        raise ValueError('no curves to plot')
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows),
                             squeeze=False, dpi=DPI)
    for ax, (key, points) in zip(axes.flat, curves.items()):
        steps, values = zip(*points)
        ax.plot(steps, values, lw=1.2, color='tab:blue')
        ax.set_title(key, fontsize=10)
        ax.set_xlabel('iteration', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if key in ('lr', 'base_lr'):
            ax.ticklabel_format(axis='y', style='sci', scilimits=(0, 0))
    for ax in list(axes.flat)[n:]:
        ax.axis('off')
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def figure_size(num_curves: int) -> Tuple[int, int]:
    """``(width, height)`` in pixels of :func:`plot`'s PNG."""
    cols = min(4, num_curves)
    rows = math.ceil(num_curves / cols)
    return round(3.6 * cols * DPI), round(2.6 * rows * DPI)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('path', help='work dir, run dir or scalars.json')
    parser.add_argument('--out', default=None, help='PNG to write '
                        '(default: <path>/training_curves.png)')
    parser.add_argument('--keys', nargs='+', help='only these scalars')
    args = parser.parse_args(argv)
    files = find_scalar_logs(args.path)
    curves = select(read_curves(files), args.keys)
    out = args.out or osp.join(
        args.path if osp.isdir(args.path) else osp.dirname(args.path),
        'training_curves.png')
    plot(curves, out, title=osp.basename(osp.normpath(args.path)))
    print(f'wrote {out}: {len(curves)} curves from {len(files)} log(s)')
    return out


if __name__ == '__main__':
    main()
