"""The GPU check: full-size steps, memory, MFU and latency on one GPU.

Prints, in one run on one device (``docs/benchmarks.md``, *The GPU
check*):

1. ``peak``: the bf16 (and fp32) matmul peak of this device, measured now;
2. ``pretrain``: the full-size pre-training step (``pretrain_4m.py``,
   random weights, synthetic 224 px batches) in bf16 autocast at batch 32,
   64 and 128: s/iter, samples/s, peak memory (and whether it fits an
   80 GB A100), MFU against the peak of 1.;
3. ``ablation``: SemMIM against its w/o-MIM ablation, stepped alternately:
   time ratio over FLOP ratio;
4. ``finetune``: one step each of retrieval, captioning (cross-entropy) and
   VQA fine-tuning at full size, then caption beam search and VQA answer
   generation latency;
5. ``compile``: the pre-training step with compiled blocks
   (``CompileBlocksHook``), if the time budget allows;
6. ``demo``: the Shapes-VL demo's pre-training (``tools/train.py``) and
   zero-shot test on this device: s/iter, and its figures beside the CPU
   run's (same seed).

Sections run in that order, each skipped with a message when the time
budget (``--budget``) would be overrun, and each failure (out of memory
included) is printed and does not stop the rest. ``--dry-run`` runs every
section on a CPU with the Shapes-VL configs at tiny sizes (the unit test
does so); ``tools/analysis_tools/gpu_check.sh`` installs the pinned
packages on a bare GPU machine and runs this.

Examples:
    python tools/analysis_tools/gpu_check.py            # on a GPU
    python tools/analysis_tools/gpu_check.py --dry-run  # anywhere
"""
import argparse
import gc
import json
import math
import os
import os.path as osp
import random
import re
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import benchmark_train as bt  # noqa: E402

SECTIONS = ('peak', 'pretrain', 'ablation', 'finetune', 'compile', 'demo')
A100_BYTES = 80 * 10**9  # "80 GB": 74.5 GiB, of which CUDA keeps ~0.5
NO_MIM = {'model.encoding_head': None, 'model.cls_head': None,
          'model.mim_head': None, 'model.mask_generator': None}

#: full size (a GPU) and tiny (``--dry-run``): configs and sizes
FULL = dict(
    pretrain='configs/semmim/pretrain_4m.py',
    ablation='configs/semmim/ablations/pretrain_4m_mim-none.py',
    retrieval='configs/retrieval/'
    'semmim-retrieval_vit-b16_8xb32-10e_flickr30k.py',
    caption='configs/caption/semmim-caption_vit-b16_8xb64-ce-5e_coco.py',
    vqa='configs/vqa/semmim-vqa_vit-b16_8xb32-8e-384px_vqav2.py',
    batches=(32, 64, 128), ablation_batch=32, finetune_batch=32,
    compile_batch=64, latency_batch=8, warmup=2, iters=4,
    demo=dict(num_train=4000, num_val=500, num_test=500, epochs=None))
DEMO = 'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
ZEROSHOT = ('configs/retrieval/'
            'semmim-retrieval_small_zeroshot-itc_shapes-vl.py')
DRY = dict(
    pretrain=DEMO, ablation=(DEMO, NO_MIM),
    retrieval='configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl.py',
    caption='configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py',
    vqa='configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl.py',
    batches=(2, 4), ablation_batch=2, finetune_batch=2, compile_batch=2,
    latency_batch=2, warmup=1, iters=1,
    demo=dict(num_train=64, num_val=8, num_test=16, epochs=1))
#: the demo's figures on the CPU (README, seed 0): tools/test.py's keys
CPU_DEMO = {'retrieval/r_mean': 16.73, 'retrieval/tr_r1': 4.0,
            'retrieval/ir_r1': 3.7}
WORDS = bt.WORDS


def load_cfg(entry) -> Config:
    """A config from a path, ``(path, options)`` or a ``Config`` (tests)."""
    if isinstance(entry, Config):
        return Config(entry.to_dict())  # a copy: Bench may change it
    path, options = entry if isinstance(entry, tuple) else (entry, None)
    cfg = Config.fromfile(osp.join(REPO, path))
    if options:
        cfg.merge_from_dict(options)
    return cfg


def _text(rng: random.Random, n: int = 12) -> str:
    return ' '.join(rng.choice(WORDS) for _ in range(n))


def make_batch(task: str, cfg: Config, batch_size: int,
               seed: int = 0) -> dict:
    """A synthetic raw batch (uint8 images + data samples) for ``task``:
    ``pretrain`` (two views + captions), ``retrieval`` (image, caption,
    image id), ``caption`` (image, caption) or ``vqa`` (image, question,
    weighted answers)."""
    if task == 'pretrain':
        return bt.synthetic_batch(cfg, batch_size, seed)
    rng = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    size = cfg.model.vision_backbone.get('img_size', 224)
    images = torch.randint(0, 256, (batch_size, 3, size, size),
                           dtype=torch.uint8, generator=g)
    samples = []
    for i in range(batch_size):
        if task == 'retrieval':
            s = DataSample(text=_text(rng), image_id=i)
        elif task == 'caption':
            s = DataSample(text=_text(rng))
        elif task == 'vqa':
            s = DataSample(question=_text(rng, 8) + '?',
                           gt_answer=[_text(rng, 1), _text(rng, 2)],
                           gt_answer_weight=[0.7, 0.3])
            s.set_metainfo(dict(img_path=f'{i}.png'))
        else:
            raise ValueError(f'unknown task {task!r}')
        samples.append(s)
    return dict(inputs=images, data_samples=samples)


def matmul_peak(dtype: torch.dtype, n: int, device: torch.device,
                repeat: int = 10) -> float:
    """FLOP/s of an ``n x n x n`` matrix product on ``device``: the mean
    of ``repeat`` timed products after three untimed ones."""
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    sync = (lambda: torch.cuda.synchronize(device)) \
        if device.type == 'cuda' else (lambda: None)
    for _ in range(3):
        a @ b
    sync()
    t = time.perf_counter()
    for _ in range(repeat):
        a @ b
    sync()
    return 2 * n**3 * repeat / (time.perf_counter() - t)


def reset_memory(device: torch.device) -> None:
    """Free what earlier models left on the GPU and restart its peak."""
    if device.type == 'cuda':
        gc.collect()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory(device: torch.device) -> Optional[Dict[str, float]]:
    """GiB allocated and reserved at the peak (None on a CPU)."""
    if device.type != 'cuda':
        return None
    return dict(allocated=torch.cuda.max_memory_allocated(device) / 2**30,
                reserved=torch.cuda.max_memory_reserved(device) / 2**30)


def is_oom(e: BaseException) -> bool:
    return isinstance(e, torch.OutOfMemoryError) or \
        'out of memory' in str(e).lower()


class Check:
    """The sections, their shared settings and what they measured."""

    def __init__(self, args):
        self.args = args
        self.sizes = DRY if args.dry_run else FULL
        self.device = torch.device(args.device)
        self.amp = args.amp
        self.start = time.perf_counter()
        self.report: Dict[str, dict] = {}
        self.peaks: Dict[str, float] = {}

    # -- helpers ---------------------------------------------------------
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def say(self, text: str = '') -> None:
        print(text, flush=True)

    def bench(self, entry, batch_size: int, **kwargs) -> bt.Bench:
        return bt.Bench(load_cfg(entry), batch_size, amp=self.amp,
                        device=str(self.device), **kwargs)

    def count_flops(self, bench: bt.Bench, batch: dict) -> float:
        # under the step's autocast: the same count as fp32, less memory
        with bench.optim.optim_context(bench.model):
            return bench.count_flops(batch)

    def time_steps(self, bench: bt.Bench, batch: dict,
                   warmup: Optional[int] = None,
                   iters: Optional[int] = None) -> Dict[str, float]:
        """Median step time after the warm-up, and the warm-up's time."""
        warmup = self.sizes['warmup'] if warmup is None else warmup
        iters = self.sizes['iters'] if iters is None else iters
        t = bench.clock()
        for _ in range(warmup):
            bench.step(batch)
        warm = bench.clock() - t
        times = sorted(bench.step(batch)['total'] for _ in range(iters))
        return dict(s_per_iter=times[len(times) // 2], warmup_s=warm)

    def mfu(self, flops: float, seconds: float) -> Optional[float]:
        peak = self.peaks.get('bf16' if self.amp else 'fp32')
        return flops / seconds / peak if peak else None

    def describe(self, name: str, r: dict) -> str:
        line = (f'  {name}: {r["s_per_iter"]:.3f} s/iter, '
                f'{r["samples_per_s"]:.1f} samples/s')
        if r.get('flops'):
            line += f', {r["flops"] / 1e9:.1f} GFLOP/iter'
        if r.get('mfu') is not None:
            line += (f', MFU {100 * r["mfu"]:.1f}% of the '
                     f'{"bf16" if self.amp else "fp32"} peak')
        mem = r.get('memory')
        if mem:
            line += (f', peak memory {mem["allocated"]:.1f} GiB allocated '
                     f'/ {mem["reserved"]:.1f} GiB reserved')
        return line

    def measure(self, entry, task: str, batch_size: int,
                **bench_kwargs) -> dict:
        """Build, count and time one config at one batch size; free it."""
        reset_memory(self.device)
        bench = self.bench(entry, batch_size, **bench_kwargs)
        try:
            batch = make_batch(task, bench.cfg, batch_size)
            flops = self.count_flops(bench, batch)
            r = self.time_steps(bench, batch)
            r.update(flops=flops, batch=batch_size,
                     samples_per_s=batch_size / r['s_per_iter'],
                     mfu=self.mfu(flops, r['s_per_iter']),
                     memory=peak_memory(self.device))
            return r
        finally:
            del bench
            reset_memory(self.device)

    # -- sections --------------------------------------------------------
    def section_peak(self) -> dict:
        n = self.args.peak_size or (8192 if self.device.type == 'cuda'
                                    else 512)
        fp32 = matmul_peak(torch.float32, n, self.device)
        self.peaks['fp32'] = fp32
        out = dict(n=n, fp32=fp32)
        if self.amp:
            self.peaks['bf16'] = out['bf16'] = matmul_peak(
                torch.bfloat16, n, self.device)
        for k in ('fp32', 'bf16'):
            if k in out:
                self.say(f'  {k} matmul {n}^3: {out[k] / 1e12:.2f} TFLOP/s')
        return out

    def section_pretrain(self) -> dict:
        out = {}
        for bs in self.sizes['batches']:
            try:
                r = self.measure(self.sizes['pretrain'], 'pretrain', bs)
            except RuntimeError as e:
                if not is_oom(e):
                    raise
                self.say(f'  batch {bs}: out of memory ({str(e)[:120]})')
                out[bs] = dict(oom=True)
                continue
            out[bs] = r
            self.say(self.describe(f'batch {bs}', r))
            if r['memory']:
                fits = r['memory']['reserved'] * 2**30 < A100_BYTES * 0.97
                verdict = 'fits' if fits else 'does NOT fit'
                self.say(f'    on an 80 GB A100: {verdict} '
                         f'({r["memory"]["reserved"]:.1f} GiB reserved of '
                         f'{A100_BYTES / 2**30:.1f} GiB)')
        return out

    def section_ablation(self) -> dict:
        bs = self.sizes['ablation_batch']
        reset_memory(self.device)
        benches = [self.bench(self.sizes['pretrain'], bs),
                   self.bench(self.sizes['ablation'], bs)]
        batches = [make_batch('pretrain', b.cfg, bs) for b in benches]
        flops = [self.count_flops(b, x) for b, x in zip(benches, batches)]
        times = [[], []]
        for it in range(self.sizes['warmup'] + self.sizes['iters']):
            for i, (b, x) in enumerate(zip(benches, batches)):
                t = b.step(x)['total']  # A B A B: drift hits both alike
                if it >= self.sizes['warmup']:
                    times[i].append(t)
        med = [sorted(t)[len(t) // 2] for t in times]
        del benches
        reset_memory(self.device)
        tr, fr = med[0] / med[1], flops[0] / flops[1]
        self.say(f'  batch {bs}: SemMIM {med[0]:.3f} s/iter, w/o MIM '
                 f'{med[1]:.3f} s/iter; time {tr:.3f}x, FLOPs {fr:.3f}x, '
                 f'time ratio / FLOP ratio {tr / fr:.3f}')
        return dict(batch=bs, s_per_iter=med, flops=flops, time_ratio=tr,
                    flop_ratio=fr, per_flop=tr / fr)

    def section_finetune(self) -> dict:
        out = {}
        bs = self.sizes['finetune_batch']
        for task in ('retrieval', 'caption', 'vqa'):
            try:
                reset_memory(self.device)
                bench = self.bench(self.sizes[task], bs)
                batch = make_batch(task, bench.cfg, bs)
                flops = self.count_flops(bench, batch)
                r = self.time_steps(bench, batch)
                r.update(flops=flops, batch=bs,
                         samples_per_s=bs / r['s_per_iter'],
                         mfu=self.mfu(flops, r['s_per_iter']),
                         memory=peak_memory(self.device))
                self.say(self.describe(f'{task} fine-tuning, batch {bs}', r))
                if task in ('caption', 'vqa'):
                    r['latency'] = self.latency(task, bench)
            except RuntimeError as e:
                if not is_oom(e):
                    raise
                self.say(f'  {task}: out of memory ({str(e)[:120]})')
                r = dict(oom=True)
            finally:
                bench = None
                reset_memory(self.device)
            out[task] = r
        return out

    @torch.no_grad()
    def latency(self, task: str, bench: bt.Bench) -> dict:
        """ms per image of caption beam search / VQA answer generation,
        batch ``latency_batch``, under the step's autocast."""
        model = bench.model.eval()
        n = self.sizes['latency_batch']
        batch = make_batch(task, bench.cfg, n, seed=1)
        data = model.data_preprocessor(batch, False)
        if task == 'caption':
            def run():
                return model.generate(model.encode_image(
                    data['inputs']['images']))
            what = (f'caption beam search (beam '
                    f'{model.generation_cfg["num_beams"]}, length '
                    f'{model.generation_cfg["min_length"]}-'
                    f'{model.generation_cfg["max_length"]})')
        else:
            def run():
                context, mask = model.encode(data['inputs'],
                                             data['data_samples'])
                return model.generate_answers(context, mask)
            what = (f'VQA answer generation (beam {model.num_beams}, at '
                    f'most {model.max_length} tokens)')
        with bench.optim.optim_context(model):
            run()  # warm-up
            t = bench.clock()
            reps = max(1, self.sizes['iters'] // 2)
            for _ in range(reps):
                run()
            ms = (bench.clock() - t) * 1000 / reps / n
        model.train()
        self.say(f'    {what}: {ms:.1f} ms/image at batch {n}')
        return dict(ms_per_image=ms, batch=n)

    def section_compile(self) -> dict:
        bs = self.sizes['compile_batch']
        r = self.measure(self.sizes['pretrain'], 'pretrain', bs,
                         compile=True, compile_kwargs=dict(
                             backend=self.args.compile_backend))
        self.say(self.describe(f'batch {bs}, compiled blocks ('
                               f'{self.args.compile_backend})', r) +
                 f'; warm-up with compilation {r["warmup_s"]:.0f} s')
        eager = self.report.get('pretrain', {}).get(bs)
        if eager and 's_per_iter' in eager:
            r['speedup'] = eager['s_per_iter'] / r['s_per_iter']
            self.say(f'    {r["speedup"]:.2f}x the eager step of the '
                     'pretrain section')
        return r

    def section_demo(self) -> dict:
        """The demo's data, pre-training and zero-shot test, as
        ``tools/demo.sh`` runs them, on this device."""
        d = self.sizes['demo']
        work = self.args.work_dir or tempfile.mkdtemp(prefix='gpu_check_')
        data = osp.join(work, 'shapes_vl') if self.args.dry_run else \
            osp.join(REPO, 'data', 'shapes_vl')
        py = [sys.executable]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [REPO, os.environ.get('PYTHONPATH', '')]))
        run = dict(cwd=REPO, env=env, capture_output=True, text=True)
        t = time.perf_counter()
        gen = subprocess.run(py + [
            'tools/dataset_converters/generate_shapes_vl.py', '--out-dir',
            data, '--num-train', str(d['num_train']), '--num-val',
            str(d['num_val']), '--num-test', str(d['num_test']),
            '--no-progress'], **run)
        self.check_run(gen, 'generate_shapes_vl.py')
        gen_s = time.perf_counter() - t
        root = data.rstrip('/') + '/'
        options = [f'train_dataloader.dataset.data_root={root}']
        if d['epochs']:
            options.append(f'train_cfg.max_epochs={d["epochs"]}')
        t = time.perf_counter()
        train = subprocess.run(py + [
            'tools/train.py', DEMO, '--work-dir', osp.join(work, 'pretrain'),
            '--cfg-options'] + options, **run)
        self.check_run(train, 'tools/train.py')
        train_s = time.perf_counter() - t
        ckpts = sorted((f for f in os.listdir(osp.join(work, 'pretrain'))
                        if re.match(r'epoch_\d+\.pth$', f)),
                       key=lambda f: int(re.findall(r'\d+', f)[0]))
        ckpt = osp.join(work, 'pretrain', ckpts[-1])
        test = subprocess.run(py + [
            'tools/test.py', ZEROSHOT, ckpt, '--work-dir',
            osp.join(work, 'zeroshot'), '--cfg-options',
            f'test_dataloader.dataset.data_root={root}'], **run)
        self.check_run(test, 'tools/test.py')
        iters = [float(x) for x in re.findall(
            r'Epoch\(train\).*?\btime: ([0-9.]+)', train.stdout +
            train.stderr)]
        figures = {k: float(v) for k, v in re.findall(
            r'(retrieval/\w+): ([0-9.]+)', test.stdout + test.stderr)}
        out = dict(generate_s=gen_s, train_s=train_s, figures=figures,
                   s_per_iter=sorted(iters)[len(iters) // 2]
                   if iters else None)
        self.say(f'  data {gen_s:.0f} s, pre-training {train_s:.0f} s'
                 + (f' ({out["s_per_iter"]:.3f} s/iter, median of the '
                    f'log\'s {len(iters)} windows)' if iters else
                    ' (no timed window in its log)'))
        self.say('  zero-shot: ' + ', '.join(
            f'{k} {v:.2f}' for k, v in sorted(figures.items())
            if 'chance' not in k))
        if self.args.dry_run:
            self.say('  (dry run: tiny data, so no CPU reference)')
        else:
            same = all(abs(figures.get(k, -1) - v) < 0.005 + 0.01 * (
                k != 'retrieval/r_mean') for k, v in CPU_DEMO.items())
            out['matches_cpu'] = same
            self.say('  CPU run, same seed: ' + ', '.join(
                f'{k} {v}' for k, v in CPU_DEMO.items()) +
                f' -> {"the same" if same else "DIFFERENT"}')
        return out

    @staticmethod
    def check_run(proc: subprocess.CompletedProcess, name: str) -> None:
        if proc.returncode:
            tail = (proc.stdout + proc.stderr)[-2000:]
            raise RuntimeError(f'{name} failed ({proc.returncode}):\n{tail}')

    # -- driver ----------------------------------------------------------
    #: rough share of the budget each section needs, to skip in time
    NEEDS = dict(peak=0.0, pretrain=0.0, ablation=0.1, finetune=0.15,
                 compile=0.25, demo=0.2)

    def run(self, sections: List[str]) -> dict:
        self.say(f'GPU check: torch {torch.__version__}, device '
                 f'{self.device_name()}, '
                 f'{"bf16 autocast" if self.amp else "fp32"}'
                 + (' (dry run: tiny Shapes-VL configs)'
                    if self.args.dry_run else ''))
        for name in SECTIONS:
            if name not in sections:
                continue
            left = self.args.budget - self.elapsed()
            need = self.NEEDS[name] * self.args.budget \
                if math.isfinite(self.args.budget) else 0.0
            if left < need:
                self.say(f'\n[{name}] skipped: {left:.0f} s of the '
                         f'{self.args.budget:.0f} s budget left')
                self.report[name] = dict(skipped=True)
                continue
            self.say(f'\n[{name}] ({self.elapsed():.0f} s)')
            fn: Callable[[], dict] = getattr(self, f'section_{name}')
            try:
                self.report[name] = fn()
            except Exception as e:  # report and go on with the rest
                self.say(f'  FAILED: {type(e).__name__}: {e}')
                self.report[name] = dict(error=f'{type(e).__name__}: {e}')
        self.say(f'\ndone in {self.elapsed():.0f} s')
        return self.report

    def device_name(self) -> str:
        if self.device.type == 'cuda':
            p = torch.cuda.get_device_properties(self.device)
            return f'{p.name} ({p.total_memory / 2**30:.0f} GiB)'
        return f'CPU ({torch.get_num_threads()} threads)'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--dry-run', action='store_true',
                        help='tiny Shapes-VL configs, a step or two each: '
                        'every section, on any device')
    parser.add_argument('--device', default=None,
                        help='default: cuda if available, else cpu')
    parser.add_argument('--sections', nargs='+', choices=SECTIONS,
                        default=list(SECTIONS))
    parser.add_argument('--no-amp', dest='amp', action='store_false',
                        default=None,
                        help='fp32 (default: bf16 autocast on a GPU, fp32 '
                        'on a CPU)')
    parser.add_argument('--budget', type=float, default=None,
                        help='seconds; later sections are skipped when '
                        'too little is left (default: 420, none in a dry '
                        'run)')
    parser.add_argument('--peak-size', type=int, default=None,
                        help='side of the peak matmul (8192 on a GPU)')
    parser.add_argument(
        '--compile-backend', default=None,
        help="torch.compile backend of the compile section (default: "
        "'inductor'; 'eager' in a dry run, which traces the blocks "
        'without minutes of code generation)')
    parser.add_argument('--work-dir', help='for the demo section')
    parser.add_argument('--out', help='also write the report as JSON')
    args = parser.parse_args(argv)
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.budget is None:
        args.budget = float('inf') if args.dry_run else 420.0
    if args.compile_backend is None:
        args.compile_backend = 'eager' if args.dry_run else 'inductor'
    if args.amp is None:
        args.amp = args.device.startswith('cuda')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmengine.logging import MMLogger

    from semmim.utils import register_all_modules
    register_all_modules()
    # init_weights logs every parameter at INFO: thousands of lines
    MMLogger.get_current_instance().setLevel('WARNING')
    report = Check(args).run(args.sections)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1, default=str)
    return report


if __name__ == '__main__':
    main()
