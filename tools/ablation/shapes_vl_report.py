"""The miniature ablation on Shapes-VL v2 (tools/ablation/shapes_vl.py):
what it runs (variants, stages, the paper's rows), where each stage's
result lies, and the report made from them: per-run numbers, the mean,
standard deviation and 95 % CI of every variant and metric, the paired
comparison with SemMIM, the tables, the plot and
docs/ablation_shapes_vl.md.
"""
import json
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from seed_stats import paired, summarize

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = 'projects/ablation_shapes_vl/configs'
RETRIEVAL_CFG = \
    'configs/retrieval/semmim-retrieval_small_zeroshot-itc_shapes-vl-v2.py'
VQA_CFG = f'{CONFIG_DIR}/vqa_short.py'
DATA_ROOT = 'data/shapes_vl_v2'
REFERENCE = 'semmim'
TWO_STAGE_TOPK = 16

# The paper's rows (MSCOCO TR / IR R@1 after fine-tuning, VQA test-dev):
# (table, row label, TR, IR, VQA). Every table's reference row is the same
# full model (Table 4 "Ours", 5 "text-guided", 6 "30%", 7 "12").
PAPER = {
    'semmim': ('Tables 4-7', 'Ours / text-guided / 30% / 12',
               81.5, 64.2, 78.12),
    'mim-none': ('Table 4', 'w/o MIM', 79.0, 62.3, 77.20),
    'mim-pixel': ('Table 4', 'raw pixels', 78.6, 62.2, 77.08),
    'mask-random': ('Table 5', 'random', 81.0, 63.6, 77.96),
    'mask-ratio-15': ('Table 6', '15%', 80.8, 63.6, 77.65),
    'mask-ratio-45': ('Table 6', '45%', 80.6, 63.4, 77.71),
    'inject-none': ('Table 7', '-', 80.4, 63.2, 77.63),
    'inject-1': ('Table 7', '1', 80.0, 62.9, 77.35),
}
VARIANTS = list(PAPER)
SEEDS = (0, 1, 2)

# our metric -> (label, the paper column its direction is compared with)
METRICS = {
    'itc/tr_r1': ('ITC TR R@1', 'TR'),
    'itc/ir_r1': ('ITC IR R@1', 'IR'),
    'itc/r_mean': ('ITC mean recall', 'TR+IR'),
    'two_stage/tr_r1': ('two-stage TR R@1', 'TR'),
    'two_stage/ir_r1': ('two-stage IR R@1', 'IR'),
    'two_stage/r_mean': ('two-stage mean recall', 'TR+IR'),
    'vqa/acc': ('VQA accuracy', 'VQA'),
}


def paper_difference(variant: str, column: str) -> Optional[float]:
    """The paper's ``variant - SemMIM`` in ``column`` (TR, IR, TR+IR as
    their mean, VQA)."""
    if variant not in PAPER:
        return None
    row, ref = PAPER[variant], PAPER[REFERENCE]
    pick = dict(TR=lambda r: r[2], IR=lambda r: r[3],
                VQA=lambda r: r[4], **{'TR+IR': lambda r: (r[2] + r[3]) / 2})
    return round(pick[column](row) - pick[column](ref), 4)


def direction_agrees(ours: Optional[float],
                     paper: Optional[float]) -> Optional[bool]:
    """Whether our mean difference has the paper's sign (None when either
    is missing or zero)."""
    if ours is None or paper is None or ours == 0 or paper == 0:
        return None
    return (ours > 0) == (paper > 0)


def fmt_duration(seconds: Optional[float]) -> str:
    """``4m12s``, ``1h30m``, ``12s``; ``?`` when unknown."""
    if seconds is None:
        return '?'
    s = int(round(seconds))
    if s < 60:
        return f'{s}s'
    if s < 3600:
        return f'{s // 60}m{s % 60:02d}s'
    return f'{s // 3600}h{(s % 3600) // 60:02d}m'


# ---------------------------------------------------------------- results
def read_json(path: str) -> Optional[dict]:
    """The JSON at ``path``, or None if it is missing or not valid (a
    result is only ever moved into place whole, so a broken one means it
    was never finished)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_json_atomic(path: str, data) -> None:
    """Write ``path`` through a temporary file and ``os.replace``: a kill
    leaves the old file or none, never half of one."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def run_dir(work_dir: str, variant: str, seed: int) -> str:
    return osp.join(work_dir, 'runs', variant, f'seed{seed}')


class Stage:
    """One step of a run, named as its folder; ``after``: the stage whose
    checkpoint it reads (redoing that one redoes this one)."""

    def __init__(self, name: str, title: str, after: Optional[str] = None):
        self.name = name
        self.title = title
        self.after = after


STAGES = [
    Stage('pretrain', 'pre-training'),
    Stage('itc', 'zero-shot ITC retrieval', after='pretrain'),
    Stage('two_stage', f'two-stage retrieval (ITC top {TWO_STAGE_TOPK} '
          're-ranked by ITM)', after='pretrain'),
    Stage('vqa_train', 'VQA fine-tuning', after='pretrain'),
    Stage('vqa_test', 'VQA test', after='vqa_train'),
]
STAGE_NAMES = [s.name for s in STAGES]


def stage_dir(work_dir: str, variant: str, seed: int, stage: str) -> str:
    return osp.join(run_dir(work_dir, variant, seed), stage)


def stage_result(work_dir: str, variant: str, seed: int,
                 stage: str) -> Optional[dict]:
    return read_json(osp.join(stage_dir(work_dir, variant, seed, stage),
                              'result.json'))


def run_metrics(work_dir: str, variant: str, seed: int) -> Optional[dict]:
    """The METRICS of a finished run (None if a stage has no result)."""
    out = {}
    sources = dict(itc='retrieval/', two_stage='retrieval/',
                   vqa_test='vqa/')
    for stage, prefix in sources.items():
        res = stage_result(work_dir, variant, seed, stage)
        if not res or 'metrics' not in res:
            return None
        group = 'vqa' if stage == 'vqa_test' else stage
        for key, value in res['metrics'].items():
            if key.startswith(prefix):
                out[f'{group}/{key[len(prefix):]}'] = value
    return out


# ---------------------------------------------------------------- aggregate
def aggregate(work_dir: str, variants: Sequence[str],
              seeds: Sequence[int]) -> dict:
    """Per-run numbers and, per variant x metric, the summary and the
    paired comparison with ``semmim`` over the seeds both have."""
    runs = {}
    for v in variants:
        for s in seeds:
            m = run_metrics(work_dir, v, s)
            if m is not None:
                runs.setdefault(v, {})[str(s)] = m
    table = {}
    ref = runs.get(REFERENCE, {})
    for v in variants:
        per_seed = runs.get(v, {})
        rows = {}
        for metric, (_, column) in METRICS.items():
            vals = {s: m[metric] for s, m in per_seed.items() if metric in m}
            row = dict(summarize(list(vals.values())),
                       seeds=sorted(vals, key=int))
            paper = paper_difference(v, column)
            row['paper_difference'] = paper
            if v != REFERENCE:
                common = sorted(set(vals) & {
                    s for s, m in ref.items() if metric in m}, key=int)
                cmp_ = paired([vals[s] for s in common],
                              [ref[s][metric] for s in common])
                cmp_['seeds'] = common
                cmp_['agrees_with_paper'] = direction_agrees(
                    cmp_['mean'], paper)
                row['vs_semmim'] = cmp_
            rows[metric] = row
        table[v] = rows
    return dict(
        reference=REFERENCE, seeds=list(seeds), variants=list(variants),
        metrics={k: dict(label=lbl, paper_column=col)
                 for k, (lbl, col) in METRICS.items()},
        paper={v: dict(table=p[0], row=p[1], TR=p[2], IR=p[3], VQA=p[4])
               for v, p in PAPER.items() if v in variants},
        runs=runs, aggregate=table,
        data=data_fingerprints(work_dir, variants, seeds),
        stage_wall_s=stage_times(work_dir, variants, seeds))


def data_fingerprints(work_dir, variants, seeds) -> dict:
    """Fingerprint of the data -> the runs (``variant/seed``) that used
    it, over every stage result that records one."""
    out = {}
    for v in variants:
        for s in seeds:
            for stage in STAGE_NAMES:
                res = stage_result(work_dir, v, s, stage)
                if res and res.get('data'):
                    runs = out.setdefault(res['data'], [])
                    if f'{v}/{s}' not in runs:
                        runs.append(f'{v}/{s}')
    return out


def stage_times(work_dir, variants, seeds) -> dict:
    """Mean wall time of each stage over the runs that ran it."""
    out = {}
    for stage in STAGE_NAMES:
        t = [r['wall_s'] for v in variants for s in seeds
             for r in [stage_result(work_dir, v, s, stage)] if r
             and 'wall_s' in r]
        if t:
            out[stage] = dict(mean=float(np.mean(t)), n=len(t))
    return out


def _num(x, digits=1) -> str:
    return '-' if x is None else f'{x:.{digits}f}'


def markdown_table(results: dict, metric: str) -> str:
    """One table per metric: our mean +- sd [CI], the paired difference
    with SemMIM, resolved, the paper's difference and whether the signs
    agree."""
    label, column = (results['metrics'][metric]['label'],
                     results['metrics'][metric]['paper_column'])
    lines = [f'| variant | paper row | {label}: mean ± sd (95 % CI) | '
             f'difference vs SemMIM (95 % CI), p | resolved | '
             f'paper {column} difference | same direction |',
             '|---|---|---|---|---|---|---|']
    for v, rows in results['aggregate'].items():
        row = rows[metric]
        paper = results['paper'].get(v, {})
        ours = (f'{_num(row["mean"])} ± {_num(row["std"])} '
                f'({_num((row["ci"] or [None])[0])}, '
                f'{_num((row["ci"] or [None, None])[1])}), n={row["n"]}'
                if row['n'] else 'not run')
        cmp_ = row.get('vs_semmim')
        if cmp_ is None:
            diff = resolved = same = '(reference)'
        elif not cmp_['n']:
            diff = resolved = same = 'not run'
        else:
            ci = cmp_['ci'] or [None, None]
            diff = (f'{cmp_["mean"]:+.1f} ({_num(ci[0])}, {_num(ci[1])}), '
                    f'p={_num(cmp_["p"], 3)}')
            resolved = 'yes' if cmp_['resolved'] else 'no'
            same = {True: 'yes', False: 'no', None: '-'}[
                cmp_['agrees_with_paper']]
        pd = row.get('paper_difference')
        paper_diff = '(reference)' if v == REFERENCE else (
            '-' if pd is None else f'{pd:+.2f}')
        where = f'{paper.get("table", "")} "{paper.get("row", "")}"'
        lines.append(f'| {v} | {where} | {ours} | {diff} | {resolved} | '
                     f'{paper_diff} | {same} |')
    return '\n'.join(lines)


SUMMARY = ('itc/r_mean', 'two_stage/r_mean', 'vqa/acc')


def _cell(row: dict) -> str:
    """``mean (CI)`` of a variant and, below the reference, its paired
    difference: ``+1.2 [-0.3, 2.7] no / yes`` (resolved / same sign as
    the paper)."""
    if not row['n']:
        return 'not run'
    ci = row['ci'] or [None, None]
    text = f'{row["mean"]:.1f} ({_num(ci[0])}, {_num(ci[1])})'
    cmp_ = row.get('vs_semmim')
    if cmp_ and cmp_['n']:
        dci = cmp_['ci'] or [None, None]
        agree = {True: 'yes', False: 'no', None: '-'}[
            cmp_['agrees_with_paper']]
        text += (f'; {cmp_["mean"]:+.1f} [{_num(dci[0])}, {_num(dci[1])}]'
                 f' {"resolved" if cmp_["resolved"] else "unresolved"}, '
                 f'paper\'s sign: {agree}')
    return text


def summary_table(results: dict,
                  metrics: Sequence[str] = SUMMARY) -> str:
    """One row per variant: the paper's numbers, then per metric our mean
    (95 % CI) and the paired difference with SemMIM [95 % CI]."""
    labels = [results['metrics'][m]['label'] for m in metrics]
    lines = ['| variant | paper row | paper TR / IR R@1, VQA | ' +
             ' | '.join(labels) + ' |', '|---|---|---|' +
             '---|' * len(metrics)]
    for v, rows in results['aggregate'].items():
        p = results['paper'].get(v, {})
        lines.append(f'| {v} | {p.get("table", "")} "{p.get("row", "")}" | '
                     f'{p.get("TR")} / {p.get("IR")}, {p.get("VQA")} | ' +
                     ' | '.join(_cell(rows[m]) for m in metrics) + ' |')
    return '\n'.join(lines)


def plot(results: dict, path: str,
         metrics: Sequence[str] = ('itc/r_mean', 'two_stage/r_mean',
                                   'vqa/acc')) -> None:
    """Mean and 95 % CI of each variant, one panel per metric."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    variants = list(results['aggregate'])
    fig, axes = plt.subplots(1, len(metrics),
                             figsize=(4.2 * len(metrics), 3.8))
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        means, lo, hi = [], [], []
        for v in variants:
            row = results['aggregate'][v][metric]
            m = row['mean'] if row['mean'] is not None else np.nan
            ci = row['ci'] or [m, m]
            means.append(m)
            lo.append(m - ci[0])
            hi.append(ci[1] - m)
        y = np.arange(len(variants))
        colors = ['tab:red' if v == REFERENCE else 'tab:blue'
                  for v in variants]
        ax.errorbar(means, y, xerr=[lo, hi], fmt='none', ecolor='gray',
                    capsize=3)
        # filled: the reference, or a difference resolved against it
        filled = [v == REFERENCE or results['aggregate'][v][metric].get(
            'vs_semmim', {}).get('resolved', False) for v in variants]
        ax.scatter(means, y, edgecolors=colors, zorder=3,
                   facecolors=[c if f else 'white'
                               for c, f in zip(colors, filled)])
        ref = results['aggregate'].get(REFERENCE, {}).get(metric, {})
        if ref.get('mean') is not None:
            ax.axvline(ref['mean'], color='tab:red', lw=0.8, ls='--')
        for v, yy in zip(variants, y):
            for s, m in results['runs'].get(v, {}).items():
                if metric in m:
                    ax.plot(m[metric], yy + 0.15, 'k.', ms=3, alpha=0.6)
        ax.set_yticks(y)
        ax.set_yticklabels(variants)
        ax.invert_yaxis()
        ax.set_title(results['metrics'][metric]['label'])
        ax.grid(axis='x', alpha=0.3)
    fig.suptitle('Shapes-VL v2 ablation: mean and 95 % CI over seeds '
                 '(dots: single seeds; hollow: not resolved from SemMIM)',
                 fontsize=10)
    fig.tight_layout()
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def baselines(results: dict) -> Optional[str]:
    """What chance and answer priors score on the test split (the
    metrics report them beside the model's; the same for every run)."""
    runs = [m for per in results['runs'].values() for m in per.values()]
    if not runs:
        return None
    m, parts = runs[0], []
    chance = [v for k, v in m.items() if k.startswith('itc/chance_')]
    if chance:
        parts.append(f'retrieval by chance: mean recall '
                     f'{np.mean(chance):.1f}, R@1 '
                     f'{m.get("itc/chance_tr_r1", float("nan")):.1f} / '
                     f'{m.get("itc/chance_ir_r1", float("nan")):.1f}')
    if 'vqa/qtype_prior_acc' in m:
        parts.append(f'VQA: the most frequent answer '
                     f'{m.get("vqa/prior_acc", float("nan")):.1f}, the most '
                     f'frequent answer of each question type '
                     f'{m["vqa/qtype_prior_acc"]:.1f}')
    return '; '.join(parts) or None


def data_warning(results: dict) -> Optional[str]:
    """A line when the runs did not all see the same data."""
    data = results.get('data') or {}
    if len(data) < 2:
        return None
    parts = '; '.join(f'{k}: {", ".join(v[:3])}'
                      f'{" ..." if len(v) > 3 else ""}'
                      for k, v in data.items())
    return (f'the runs used {len(data)} different datasets (meta.json '
            f'fingerprints {parts}); rerun the runs on old data')


# ---------------------------------------------------------------- the page
DOC = 'docs/ablation_shapes_vl.md'
DOC_FIGURE = 'docs/figures/ablation_shapes_vl.png'
CHANGES = {
    'semmim': 'nothing: the v2 demo recipe (the reference row)',
    'mim-none': 'no masked image modelling (no L_patch, no masking)',
    'mim-pixel': 'MIM regresses normalised pixels (PixelMIMHead)',
    'mask-random': 'random instead of text-guided masking, 30 %',
    'mask-ratio-15': 'text-guided masking of 15 % of the patches',
    'mask-ratio-45': 'text-guided masking of 45 % of the patches',
    'inject-none': 'no text injected into the ViT for MIM',
    'inject-1': 'text injected from ViT layer 1 (all 4 layers)',
}


def write_doc(results: dict, path: str, figure: Optional[str]) -> None:
    """docs/ablation_shapes_vl.md from ``results`` (``aggregate()``); with
    no finished run the results section says so and shows no number."""
    ran = bool(results['runs'])
    lines = [
        '# The paper\'s ablations in miniature (Shapes-VL v2)',
        '',
        'The paper\'s claims are its ablations: semantic MIM targets beat '
        'no MIM and pixel regression (Table 4), text-guided masking beats '
        'random masking (Table 5), 30 % is the best mask ratio (Table 6) '
        'and text injected into the last ViT layer beats none and earlier '
        'layers (Table 7). This study checks the direction of each on '
        'Shapes-VL v2 with the CPU-sized model, with several seeds, so '
        'that a difference is only called one when it exceeds the seed '
        'noise. Whatever direction comes out is the result.',
        '',
        '## What is run',
        '',
        'For every variant and seed (default 0, 1, 2; the seed sets the '
        'model initialisation and the data order through '
        '`randomness.seed`):',
        '',
        '1. pre-training with the v2 demo recipe '
        '(`configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py`, '
        '112 steps at batch 64) changed only as the variant says;',
        '2. zero-shot retrieval on the v2 test split with the ITC '
        f'embeddings (`{RETRIEVAL_CFG}`);',
        f'3. two-stage retrieval: the ITC top {TWO_STAGE_TOPK} of each '
        'query re-ranked by the ITM head (the same config with '
        f'`--cfg-options model.topk={TWO_STAGE_TOPK}`);',
        '4. VQA: a short fine-tune from the pre-training checkpoint and '
        f'the answers generated on the v2 test split (`{VQA_CFG}`, which '
        'inherits `configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py`).',
        '',
        '| variant | config | what it changes | paper row | paper TR / '
        'IR R@1, VQA |',
        '|---|---|---|---|---|',
    ]
    for v, (table, row, tr, ir, vqa) in PAPER.items():
        lines.append(f'| {v} | `{CONFIG_DIR}/{v}.py` | {CHANGES[v]} | '
                     f'{table} "{row}" | {tr} / {ir}, {vqa} |')
    lines += [
        '',
        'The paper\'s numbers are MSCOCO text retrieval (TR) and image '
        'retrieval (IR) R@1 after fine-tuning, and VQA v2 test-dev '
        'accuracy (Tables 4-7); every table\'s reference row is the same '
        'full model (81.5 / 64.2, 78.12). Our retrieval figures are '
        'zero-shot on Shapes-VL v2, so only the *sign* of each '
        'difference from SemMIM is compared with the paper\'s: our TR / IR '
        'R@1 with the paper\'s TR / IR column, our mean recall with the '
        'mean of the paper\'s TR and IR, our VQA accuracy with its VQA '
        'column.',
        '',
        'Left out: dVAE-token MIM (Table 4 "dVAE",'
        ' `configs/semmim/ablations/pretrain_4m_mim-dvae.py`). It needs the '
        'DALL-E encoder\'s weights, which cannot be downloaded here and '
        'which no code path of this repository fetches; a tokenizer trained '
        'on 64 px shapes would be another model, not the paper\'s row. '
        'Table 7\'s "6" and "9" (of 12 layers) have no exact counterpart '
        'in the 4-layer ViT; "1" (every layer sees the text) has, and is '
        'the row with the paper\'s largest drop.',
        '',
        '## The command',
        '',
        '```bash',
        'bash tools/ablation/shapes_vl.sh',
        'python tools/ablation/shapes_vl.py --dry-run',
        'python tools/ablation/shapes_vl.py --variants semmim mim-none '
        '--seeds 0 1',
        'python tools/ablation/shapes_vl.py --aggregate-only --doc',
        '```',
        '',
        'The first generates Shapes-VL v2 if it is missing and runs the '
        'whole study into `work_dirs/ablation_shapes_vl`. Every stage runs '
        '`tools/train.py` or `tools/test.py` in a subprocess (its log is '
        '`runs/<variant>/seed<s>/<stage>/stage.log`) and, when it has '
        'finished, writes `result.json` beside it (through a temporary '
        'file and a rename, so a kill never leaves half of one). A rerun '
        'skips the stages with a result, continues a killed pre-training '
        'from its last epoch checkpoint and redoes any other unfinished '
        'stage (and the stages that read its checkpoint). The work dir is '
        'locked while the study, or a stage it started, runs. A failed '
        'stage ends its run, not the study: the failures are listed at '
        'the end and a rerun retries them. Progress: a line per stage '
        'and, per run, '
        '`[run k/N] variant seed s: done in 4m12s; ~1h30m left` (the '
        'estimate is the mean time of the runs done in this session times '
        'the runs left). `--dry-run` prints the plan with every command; '
        '`--aggregate-only --doc` rewrites this page from the finished '
        'runs. `results.json` in the work dir holds every run\'s numbers '
        'and the aggregates. On cores shared with other work, `--threads 1` '
        '(and `--nice 10`) keeps a stage\'s threads from waiting for each '
        'other; the budget below is for idle cores.',
        '',
        '## How to read the table',
        '',
        '* **mean ± sd (95 % CI)**: over the seeds, sample standard '
        'deviation, t interval of the mean.',
        '* **difference vs SemMIM**: the variant minus SemMIM, paired by '
        'seed (the runs of one seed share `randomness.seed`), its 95 % t '
        'interval and the paired t-test p value.',
        '* **resolved**: the interval of the paired difference excludes 0. '
        'An unresolved row says that this study cannot tell the variant '
        'from SemMIM at this noise level, not that they are equal.',
        '* **same direction**: whether our mean difference has the sign of '
        'the paper\'s; for an unresolved row the sign itself is not '
        'established.',
        '',
        '## Results',
        '',
    ]
    if not ran:
        lines += [
            '**Not yet run.** No run of the study has finished; this page '
            'is the generator\'s empty state. Run the command above; '
            '`python tools/ablation/shapes_vl.py --aggregate-only --doc` '
            'then fills this section from `work_dirs/ablation_shapes_vl`.',
            '',
        ]
    else:
        lines += [f'Made by `{results.get("command", "")}` '
                  f'(seeds {", ".join(map(str, results["seeds"]))}).', '']
        if data_warning(results):
            lines += [f'**Warning**: {data_warning(results)}.', '']
        if figure:
            lines += [f'![the ablation](figures/{osp.basename(figure)})',
                      '']
        missing = [v for v in VARIANTS if not results['runs'].get(v)]
        if missing:
            lines += [f'**Not run here**: {", ".join(missing)} (configs '
                      'above): `python tools/ablation/shapes_vl.py '
                      f'--variants {" ".join(missing)}` runs them, and '
                      '`--aggregate-only --doc` over every variant adds '
                      'their rows.', '']
        lines += ['Each cell: our mean over the seeds (95 % CI); below the '
                  'reference, the paired difference from SemMIM [95 % CI], '
                  'whether it is resolved and whether its sign is the '
                  'paper\'s.', '', summary_table(results), '']
        if baselines(results):
            lines += [f'For scale, {baselines(results)}.', '']
        lines += ['Every metric in full (R@1 of each direction too):', '']
        for metric in results['metrics']:
            lines += [f'### {results["metrics"][metric]["label"]}', '',
                      markdown_table(results, metric), '']
    lines += ['## Budget', '']
    times = results.get('stage_wall_s') or {}
    if times:
        total = sum(t['mean'] for t in times.values())
        runs = len(results['variants']) * len(results['seeds'])
        lines += ['Mean wall time of each stage over the runs that ran '
                  'it (this machine, whatever else was running):', '',
                  '| stage | mean | runs |', '|---|---|---|']
        lines += [f'| {s} | {fmt_duration(t["mean"])} | {t["n"]} |'
                  for s, t in times.items()]
        whole = ''
        if len(results['variants']) < len(VARIANTS):
            every = total * len(VARIANTS) * len(results['seeds'])
            whole = f'; all {len(VARIANTS)} variants: {fmt_duration(every)}'
        lines += ['', f'A run: {fmt_duration(total)}; the study '
                  f'({len(results["variants"])} variants x '
                  f'{len(results["seeds"])} seeds): '
                  f'{fmt_duration(total * runs)}{whole}.',
                  '']
    lines += ['The budget: one variant-seed <= 8 minutes, the whole '
              'study <= 2.5 hours on a 2-core CPU.', '']
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
