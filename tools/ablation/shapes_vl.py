"""The paper's ablations (Tables 4-7) in miniature on Shapes-VL v2.

For every variant (``projects/ablation_shapes_vl/configs``) and seed:
pre-train with the v2 demo recipe, then measure zero-shot ITC retrieval,
two-stage retrieval (ITC top 16 re-ranked by ITM) and VQA accuracy after a
short fine-tune. Each stage is the repository's own ``tools/train.py`` or
``tools/test.py`` in a subprocess (log in the stage's folder) and writes
``result.json`` there, atomically, when it has finished; a rerun skips
every stage that has one, so the study resumes after a kill (a killed
pre-training continues from its last epoch checkpoint). Finally every
variant is compared with ``semmim`` over matched seeds and the table,
``results.json``, a plot and (``--doc``) docs/ablation_shapes_vl.md are
written. See docs/ablation_shapes_vl.md.

Examples:
    bash tools/ablation/shapes_vl.sh
    python tools/ablation/shapes_vl.py --variants semmim mim-none --seeds 0
    python tools/ablation/shapes_vl.py --dry-run
    python tools/ablation/shapes_vl.py --aggregate-only --doc
"""
import argparse
import fcntl
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Callable, List, Optional, Sequence

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from shapes_vl_report import (CONFIG_DIR, DATA_ROOT, DOC,  # noqa: E402
                              DOC_FIGURE, METRICS, REPO, RETRIEVAL_CFG,
                              SEEDS, STAGES, TWO_STAGE_TOPK,
                              VARIANTS, VQA_CFG, Stage, aggregate,
                              data_warning, fmt_duration, markdown_table,
                              plot, read_json, stage_dir, stage_result,
                              summary_table, write_doc, write_json_atomic)

# --smoke: every stage a few steps on a handful of images (the tests)
SMOKE = {
    'pretrain': ['train_dataloader.batch_size=4',
                 'train_dataloader.dataset.indices=8',
                 'train_dataloader.num_workers=0',
                 'train_dataloader.persistent_workers=False',
                 'train_cfg.max_epochs=1'],
    'test': ['test_dataloader.num_workers=0'],
    'vqa_train': ['train_dataloader.batch_size=4',
                  'train_dataloader.num_workers=0',
                  'train_dataloader.persistent_workers=False',
                  'train_cfg.max_iters=2'],
}


def progress_line(k: int, total: int, variant: str, seed: int,
                  run_s: float, left_s: Optional[float],
                  reused: bool = False) -> str:
    """``[run 3/24] mim-none seed 2: done in 4m12s; ~1h30m left``."""
    what = 'reused (all stages finished before)' if reused else \
        f'done in {fmt_duration(run_s)}'
    left = 'nothing left' if k == total else (
        f'~{fmt_duration(left_s)} left' if left_s is not None else
        'time left known after the first run')
    return f'[run {k}/{total}] {variant} seed {seed}: {what}; {left}'


class StudyError(RuntimeError):
    """A stage failed: one line naming the run, the stage and its log."""


class CommandRunner:
    """Runs the stages as ``tools/train.py`` / ``tools/test.py``
    subprocesses and reads their outputs."""

    def __init__(self, python: str = sys.executable,
                 data_root: Optional[str] = None, smoke: bool = False,
                 options: Sequence[str] = (), nice: int = 0,
                 threads: Optional[int] = None):
        self.python = python
        self.data_root = data_root.rstrip('/') if data_root else None
        self.smoke = smoke
        self.options = list(options)
        self.nice = nice
        self.threads = threads
        # the work dir's lock, held by the stages too (lock_work_dir)
        self.pass_fds = ()
        self._configs = {}

    # the command of each stage
    def overrides(self, stage: str) -> List[str]:
        out = []
        root = self.data_root
        if stage == 'pretrain':
            out += self.smoke * SMOKE['pretrain']
            if root:
                out.append(f'train_dataloader.dataset.data_root={root}/')
        elif stage in ('itc', 'two_stage', 'vqa_test'):
            out += self.smoke * SMOKE['test']
            if root:
                out.append(f'test_dataloader.dataset.data_root={root}/')
        elif stage == 'vqa_train':
            out += self.smoke * SMOKE['vqa_train']
            if root:
                out.append(f'train_dataloader.dataset.data_root={root}/')
        if root and stage in ('vqa_train', 'vqa_test'):
            out.append(
                f'model.answer_list={root}/annotations/answer_list.json')
        if root and stage == 'vqa_test':
            out.append(
                f'test_evaluator.prior_file={root}/annotations/'
                'vqa_train.json')
        return out + self.options

    def spec(self, variant: str, seed: int, stage: str):
        """``(script, config, stage whose checkpoint it takes, options)``;
        the options leave out the checkpoint's path."""
        seed_opt = [f'randomness.seed={seed}']
        specs = dict(
            pretrain=('tools/train.py', f'{CONFIG_DIR}/{variant}.py', None,
                      seed_opt),
            itc=('tools/test.py', RETRIEVAL_CFG, 'pretrain', []),
            two_stage=('tools/test.py', RETRIEVAL_CFG, 'pretrain',
                       [f'model.topk={TWO_STAGE_TOPK}']),
            vqa_train=('tools/train.py', VQA_CFG, 'pretrain', seed_opt),
            vqa_test=('tools/test.py', VQA_CFG, 'vqa_train', []))
        if stage not in specs:
            raise ValueError(f'unknown stage {stage!r}')
        script, cfg, source, opts = specs[stage]
        return script, cfg, source, opts + self.overrides(stage)

    def command(self, work_dir: str, variant: str, seed: int,
                stage: str) -> List[str]:
        out = stage_dir(work_dir, variant, seed, stage)
        script, cfg, source, opts = self.spec(variant, seed, stage)
        argv = [script, cfg]
        if script == 'tools/test.py':
            argv.append(self.checkpoint(work_dir, variant, seed, source))
        argv += ['--work-dir', out]
        if script == 'tools/train.py' and has_checkpoint(out):
            # a killed run continues from its last checkpoint
            argv.append('--resume')
        if stage == 'vqa_train':
            # given even on --resume: tools/train.py then drops it
            ckpt = self.checkpoint(work_dir, variant, seed, source)
            opts = opts + [f'load_from={ckpt}']
        prefix = ['nice', '-n', str(self.nice)] if self.nice else []
        return prefix + [self.python] + argv + (
            ['--cfg-options'] + opts if opts else [])

    def fingerprint(self, variant: str, seed: int, stage: str) -> str:
        """SHA-256 (12 hex digits) of the stage's config as read (every
        file it inherits resolved) and its options: a finished stage
        whose fingerprint changed is redone."""
        script, cfg, _, opts = self.spec(variant, seed, stage)
        if cfg not in self._configs:
            from mmengine.config import Config
            self._configs[cfg] = json.dumps(
                Config.fromfile(osp.join(REPO, cfg)).to_dict(),
                sort_keys=True, default=str)
        text = json.dumps([script, self._configs[cfg], opts])
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @staticmethod
    def checkpoint(work_dir, variant, seed, stage) -> str:
        res = stage_result(work_dir, variant, seed, stage)
        if not res or 'checkpoint' not in res:
            raise StudyError(f'{variant} seed {seed}: stage {stage} has no '
                             'result with a checkpoint')
        return res['checkpoint']

    def __call__(self, work_dir: str, variant: str, seed: int,
                 stage: str) -> dict:
        out = stage_dir(work_dir, variant, seed, stage)
        os.makedirs(out, exist_ok=True)
        argv = self.command(work_dir, variant, seed, stage)
        log = osp.join(out, 'stage.log')
        before = set(os.listdir(out))
        with open(log, 'a') as f:
            f.write('+ ' + ' '.join(argv) + '\n')
            f.flush()
            env = dict(os.environ)
            env['PYTHONPATH'] = os.pathsep.join(
                [REPO] + [p for p in [env.get('PYTHONPATH')] if p])
            if self.threads:
                env['OMP_NUM_THREADS'] = env['MKL_NUM_THREADS'] = str(
                    self.threads)
            rc = subprocess.call(argv, cwd=REPO, stdout=f,
                                 stderr=subprocess.STDOUT, env=env,
                                 pass_fds=self.pass_fds)
        if rc != 0:
            raise StudyError(
                f'{variant} seed {seed}: {stage} failed (exit {rc}); see '
                f'{log}')
        data = dict(data=self.data_fingerprint())
        if stage in ('pretrain', 'vqa_train'):
            ckpt = last_checkpoint(out)
            if ckpt is None:
                raise StudyError(f'{variant} seed {seed}: {stage} finished '
                                 f'without a checkpoint in {out}')
            # the final checkpoint is kept; earlier ones only served a
            # resume (each is 70 MB)
            for name in os.listdir(out):
                path = osp.join(out, name)
                if name.endswith('.pth') and not osp.samefile(path, ckpt):
                    os.remove(path)
            return dict(checkpoint=ckpt, **data)
        metrics = read_test_metrics(out, before)
        if metrics is None:
            raise StudyError(f'{variant} seed {seed}: {stage} wrote no '
                             f'metrics in {out} (see {log})')
        return dict(metrics=metrics, **data)

    def data_fingerprint(self) -> Optional[str]:
        """The first 12 hex digits of the SHA-256 of the dataset's
        meta.json (the generator's settings and figures): runs on
        different data must not be compared."""
        root = self.data_root or osp.join(REPO, DATA_ROOT)
        try:
            with open(osp.join(root, 'meta.json'), 'rb') as f:
                return hashlib.sha256(f.read()).hexdigest()[:12]
        except OSError:
            return None


def lock_work_dir(work_dir: str) -> int:
    """Hold ``<work_dir>/.lock`` (``flock``) for the study; the stages
    inherit it, so a stage that outlives a killed driver keeps the work
    dir locked until it ends. Returns the descriptor."""
    os.makedirs(work_dir, exist_ok=True)
    fd = os.open(osp.join(work_dir, '.lock'), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StudyError(
            f'{work_dir} is in use by another run of the study, or by a '
            'stage that a killed one left running (see `ps`); wait for it '
            'or end it, then rerun') from None
    return fd


def has_checkpoint(folder: str) -> bool:
    return last_checkpoint(folder) is not None


def last_checkpoint(folder: str) -> Optional[str]:
    """The checkpoint named in MMEngine's ``last_checkpoint`` file."""
    try:
        with open(osp.join(folder, 'last_checkpoint')) as f:
            path = f.read().strip()
    except OSError:
        return None
    return path if path and osp.isfile(path) else None


def read_test_metrics(folder: str, before: set) -> Optional[dict]:
    """The metrics ``tools/test.py`` dumped (``<ts>/<ts>.json``, MMEngine's
    LoggerHook) in a timestamp folder new since ``before``."""
    for name in sorted(set(os.listdir(folder)) - before, reverse=True):
        data = read_json(osp.join(folder, name, f'{name}.json'))
        if data:
            return {k: v for k, v in data.items()
                    if isinstance(v, (int, float)) and '/' in k}
    return None


# ---------------------------------------------------------------- the study
class Study:
    """Runs the plan's stages in order, skipping finished ones."""

    def __init__(self, work_dir: str, variants: Sequence[str],
                 seeds: Sequence[int],
                 runner: Callable[[str, str, int, str], dict],
                 log: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.time):
        self.work_dir = work_dir
        self.plan = [(v, s) for v in variants for s in seeds]
        self.runner = runner
        self.log = log
        self.clock = clock

    def fingerprint(self, variant: str, seed: int,
                    stage: str) -> Optional[str]:
        fingerprint = getattr(self.runner, 'fingerprint', None)
        return fingerprint(variant, seed, stage) if fingerprint else None

    def pending(self, variant: str, seed: int) -> List[str]:
        """The stages without a result, those whose config changed since,
        and the stages after them."""
        out = []
        for stage in STAGES:
            res = stage_result(self.work_dir, variant, seed, stage.name)
            if stage.after in out or res is None or res.get('config') != \
                    self.fingerprint(variant, seed, stage.name):
                out.append(stage.name)
        return out

    def run(self) -> List[str]:
        """Run what is left; return the failures (one line each). A failed
        stage ends its run, not the study: the next run starts, and a
        rerun retries the failed stage."""
        total = len(self.plan)
        run_times, failures = [], []
        todo = [sum(bool(self.pending(v, s)) for v, s in self.plan[k:])
                for k in range(total)]
        for k, (variant, seed) in enumerate(self.plan, 1):
            pending = self.pending(variant, seed)
            start = self.clock()
            head = f'[run {k}/{total}] {variant} seed {seed}'
            try:
                for i, stage in enumerate(STAGES, 1):
                    if stage.name in pending:
                        self.run_stage(head, i, variant, seed, stage)
            except StudyError as err:
                failures.append(str(err))
                self.log(f'{head}: FAILED: {err}')
                continue
            elapsed = self.clock() - start
            if pending:
                run_times.append(elapsed)
            left_runs = todo[k] if k < total else 0
            left = (left_runs * float(np.mean(run_times))
                    if run_times else (0.0 if not left_runs else None))
            self.log(progress_line(k, total, variant, seed, elapsed, left,
                                   reused=not pending))
        return failures

    def run_stage(self, head: str, i: int, variant: str, seed: int,
                  stage: Stage) -> None:
        what = f'{head}: stage {i}/{len(STAGES)} {stage.title}'
        out = stage_dir(self.work_dir, variant, seed, stage.name)
        config = self.fingerprint(variant, seed, stage.name)
        started = read_json(osp.join(out, 'started.json')) or {}
        if osp.exists(osp.join(out, 'result.json')) or \
                started.get('config') != config:
            # finished before but to be redone, or killed while running
            # another config: nothing of it may be reused
            shutil.rmtree(out, ignore_errors=True)
        write_json_atomic(osp.join(out, 'started.json'), dict(config=config))
        self.log(f'{what} ...')
        t0 = self.clock()
        result = self.runner(self.work_dir, variant, seed, stage.name)
        result = dict(result, stage=stage.name, variant=variant, seed=seed,
                      config=config, wall_s=round(self.clock() - t0, 1))
        write_json_atomic(
            osp.join(stage_dir(self.work_dir, variant, seed, stage.name),
                     'result.json'), result)
        self.log(f'{what} done in {fmt_duration(result["wall_s"])}')


# ---------------------------------------------------------------- command
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='The paper\'s ablations in miniature on Shapes-VL v2 '
        '(docs/ablation_shapes_vl.md)')
    p.add_argument('--variants', nargs='+', default=VARIANTS,
                   choices=VARIANTS, help='default: all')
    p.add_argument('--seeds', nargs='+', type=int, default=list(SEEDS))
    p.add_argument('--work-dir', default=None,
                   help='default: work_dirs/ablation_shapes_vl (with '
                   '--smoke: work_dirs/ablation_shapes_vl_smoke)')
    p.add_argument('--data-root', default=None,
                   help=f'Shapes-VL v2 data (default: the configs\', '
                   f'{DATA_ROOT})')
    p.add_argument('--dry-run', action='store_true',
                   help='print the plan (what is finished, what would run '
                   'and the commands) and stop')
    p.add_argument('--aggregate-only', action='store_true',
                   help='run nothing; aggregate the finished runs')
    p.add_argument('--smoke', action='store_true',
                   help='every stage a few steps on a few images (tests; '
                   'the numbers mean nothing)')
    p.add_argument('--cfg-options', nargs='+', default=[],
                   metavar='KEY=VALUE',
                   help='extra overrides given to every stage')
    p.add_argument('--nice', type=int, default=0,
                   help='run the stages under nice -n N')
    p.add_argument('--threads', type=int, default=None,
                   help='CPU threads of each stage (OMP_NUM_THREADS; '
                   'default: PyTorch\'s, one per core). On a machine busy '
                   'with other work, 1 avoids threads waiting for each '
                   'other')
    p.add_argument('--doc', action='store_true',
                   help='also write docs/ablation_shapes_vl.md and '
                   'docs/figures/ablation_shapes_vl.png')
    return p.parse_args(argv)


def dry_run(study: Study, runner: CommandRunner) -> None:
    total = len(study.plan)
    for k, (v, s) in enumerate(study.plan, 1):
        pending = study.pending(v, s)
        state = ('finished' if not pending else
                 f'to run: {", ".join(pending)}')
        print(f'[run {k}/{total}] {v} seed {s}: {state}')
        for stage in pending:
            try:
                argv = runner.command(study.work_dir, v, s, stage)
                print('    ' + ' '.join(argv))
            except StudyError:
                print(f'    {stage}: after the stages before it')


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.work_dir is None:
        args.work_dir = 'work_dirs/ablation_shapes_vl' + (
            '_smoke' if args.smoke else '')
    args.work_dir = osp.abspath(args.work_dir)
    if args.data_root:
        args.data_root = osp.abspath(args.data_root)
    runner = CommandRunner(data_root=args.data_root, smoke=args.smoke,
                           options=args.cfg_options, nice=args.nice,
                           threads=args.threads)
    study = Study(args.work_dir, args.variants, args.seeds, runner)
    if args.dry_run:
        dry_run(study, runner)
        return 0
    failures = []
    if not args.aggregate_only:
        runner.pass_fds = (lock_work_dir(args.work_dir), )
        failures = study.run()
    results = aggregate(args.work_dir, args.variants, args.seeds)
    results['command'] = 'python tools/ablation/shapes_vl.py ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    write_json_atomic(osp.join(args.work_dir, 'results.json'), results)
    tables = '\n\n'.join([summary_table(results)] + [
        markdown_table(results, m) for m in METRICS])
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(tables + '\n')
    print(tables)
    warning = data_warning(results)
    if warning:
        print(f'WARNING: {warning}')
    figure = osp.join(args.work_dir, 'ablation_shapes_vl.png')
    if results['runs']:
        plot(results, figure)
    if args.doc:
        doc_figure = osp.join(REPO, DOC_FIGURE)
        if results['runs']:
            plot(results, doc_figure)
        write_doc(results, osp.join(REPO, DOC),
                  figure=DOC_FIGURE if results['runs'] else None)
        print(f'page: {DOC}')
    print(f'results: {osp.join(args.work_dir, "results.json")}')
    if failures:
        print(f'{len(failures)} run(s) failed (a rerun retries them):\n' +
              '\n'.join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except StudyError as err:
        sys.exit(f'error: {err}')
