"""The demo's figures in one table, each next to its baseline and target.

Reads what ``tools/demo.sh`` wrote under its work dir (the pre-training
log, the zero-shot and two-stage retrieval results of ``tools/test.py``,
the JSON files of ``itm_accuracy.py``, ``attribute_probe.py`` and
``code_purity.py``) and the dataset's ``meta.json`` (the oracle figures of
the test split, Shapes-VL v2), prints one row per figure (value, baseline,
target, met or not) and writes them to ``<work dir>/summary.json``. A
figure whose file is missing is listed as "not measured". The targets are
those the demo was built against (docs/shapes_vl_v2.md); they are printed
to be read against, not tuned to.

Example:
    python tools/analysis_tools/demo_summary.py work_dirs/demo \\
        --data-root data/shapes_vl_v2
"""
import argparse
import glob
import json
import math
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from plot_curves import find_scalar_logs, read_curves  # noqa: E402


def latest_metrics(path: str) -> Optional[dict]:
    """The metrics ``tools/test.py`` wrote last under ``path``
    (``<path>/<timestamp>/<timestamp>.json``)."""
    files = sorted(glob.glob(osp.join(path, '*', '*.json')))
    files = [f for f in files
             if osp.basename(f)[:-5] == osp.basename(osp.dirname(f))]
    if not files:
        return None
    with open(files[-1]) as f:
        return json.load(f)


def _load(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _row(name, value, baseline, target, met, note=''):
    return dict(figure=name, value=value, baseline=baseline, target=target,
                met=met, note=note)


def final_loss(work_dir: str, key: str, last: int = 5) -> Optional[float]:
    """Mean of the last ``last`` logged values of ``key`` (one logged
    value is one batch)."""
    try:
        curves = read_curves(find_scalar_logs(work_dir))
    except FileNotFoundError:
        return None
    values = [v for _, v in curves.get(key, [])][-last:]
    return sum(values) / len(values) if values else None


def summarize(work_dir: str, data_root: str, num_codes: int,
              seeds: Optional[str] = None) -> List[dict]:
    rows = []
    sem = (_load(osp.join(data_root, 'meta.json')) or {}).get(
        'semantics', {}).get('test', {})
    # zero-shot ITC retrieval
    zs = latest_metrics(osp.join(work_dir, 'zeroshot'))
    colour = sem.get('colour_oracle', {})
    base = f'chance {_chance(zs):.1f}' if zs else ''
    if 'mean_recall' in colour:
        base += f'; colour-only oracle {colour["mean_recall"]:.1f}'
    itc = zs['retrieval/r_mean'] if zs else None
    rows.append(_row('zero-shot ITC mean recall', itc, base, '>= 60',
                     None if itc is None else itc >= 60))
    if zs:
        oracle = sem.get('oracle', {}).get('mean', float('nan'))
        rows.append(_row('  TR / IR R@1', f'{zs["retrieval/tr_r1"]:.2f} / '
                         f'{zs["retrieval/ir_r1"]:.2f}',
                         f'chance 0.2; oracle {oracle:.1f}', '', None))
    # two-stage retrieval (ITC top-k re-ranked by ITM)
    ts = latest_metrics(osp.join(work_dir, 'two_stage'))
    two = ts['retrieval/r_mean'] if ts else None
    rows.append(_row('two-stage (ITM re-ranked) mean recall', two,
                     f'ITC alone {itc:.2f}' if itc is not None else '',
                     '>= ITC alone',
                     None if two is None or itc is None else two >= itc))
    # held-out ITM accuracy
    itm = _load(osp.join(work_dir, 'analysis', 'itm_accuracy.json'))
    if itm:
        table = itm['accuracy']
        acc, prior = table['overall'], table['prior']
        rows.append(_row('ITM accuracy (matched : ITC-hard = 1 : 2)', acc,
                         f'prior {prior:.1f} (always "no"); matched '
                         f'{table["matched"]:.1f}, hard negatives '
                         f'{table["negative"]:.1f}', f'>= {prior + 15:.1f}',
                         acc >= prior + 15))
    else:
        rows.append(_row('ITM accuracy', None, '', 'prior + 15', None))
    # attribute probe
    probe = _load(osp.join(work_dir, 'analysis', 'attribute_probe.json'))
    probe = probe or {}
    # v2: per object, under 'itc'; v1: single-object images, under 'scores'
    scores = probe.get('itc') or probe.get('scores', {})
    for attr, target in (('shape', 0.8), ('color', 0.95)):
        value = scores.get(attr)
        chance = scores.get(f'chance_{attr}')
        rows.append(_row(f'probe: {attr} (ITC)', value,
                         f'chance {chance:.3f}' if chance else '',
                         f'>= {target}',
                         None if value is None else value >= target))
    # [CLS] self-distillation
    cls = final_loss(osp.join(work_dir, 'pretrain'), 'loss_cls')
    ln_k = math.log(num_codes)
    rows.append(_row('final loss_cls / ln K', None if cls is None else
                     cls / ln_k, f'uniform targets 1.0 (ln {num_codes} = '
                     f'{ln_k:.3f})', '<= 0.8',
                     None if cls is None else cls <= 0.8 * ln_k,
                     'mean of the last 5 logged batches'))
    # patch codes
    purity = _load(osp.join(work_dir, 'analysis', 'code_purity.json'))
    if purity:
        obj = purity['purity']['objects']['shape+color']
        rows.append(_row('code purity, shape + colour (object patches)',
                         obj['codes'], f'k-means {obj["kmeans"]:.3f}; '
                         f'random {obj["random"]:.3f}', '> k-means',
                         obj['codes'] > obj['kmeans']))
    else:
        rows.append(_row('code purity', None, '', '> k-means', None))
    # seed spread
    if seeds:
        spread = _load(seeds)
        rows.append(_row('seed std of mean recall', spread['std'],
                         f'seeds {spread["seeds"]}', '<= 3',
                         spread['std'] <= 3))
    return rows


def _chance(metrics: dict) -> float:
    keys = [k for k in metrics if k.startswith('retrieval/chance_')]
    return sum(metrics[k] for k in keys) / max(len(keys), 1)


def _fmt(value) -> str:
    if value is None:
        return 'not measured'
    if isinstance(value, float):
        return f'{value:.3f}' if abs(value) < 2 else f'{value:.2f}'
    return str(value)


def format_rows(rows: List[dict]) -> str:
    lines = [f'{"figure":46s} {"value":>14s}  {"target":>14s}  met  '
             'baseline']
    for r in rows:
        met = {True: 'yes', False: 'no', None: ''}[r['met']]
        lines.append(f'{r["figure"]:46s} {_fmt(r["value"]):>14s}  '
                     f'{r["target"]:>14s}  {met:3s}  {r["baseline"]}')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', help="the demo's work dir")
    parser.add_argument('--data-root', default='data/shapes_vl_v2')
    parser.add_argument('--num-codes', type=int, default=256,
                        help='K of the [CLS] / patch heads (ln K is the '
                        'loss of uniform targets)')
    parser.add_argument('--seeds', help='JSON with the "std" of mean recall '
                        'over "seeds" (optional)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    rows = summarize(args.work_dir, args.data_root, args.num_codes,
                     args.seeds)
    print(format_rows(rows))
    out = osp.join(args.work_dir, 'summary.json')
    with open(out, 'w') as f:
        json.dump(rows, f, indent=1)
    print(f'wrote {out}')
    return rows


if __name__ == '__main__':
    main()
