"""Training throughput of a config, against the machine's own peak.

Times N training iterations (forward, backward, optimizer step, momentum
update) after a warm-up, with synthetic in-memory batches and/or the
config's real dataloader, and prints samples/s, s/iter with a breakdown,
peak memory, model FLOPs per iteration (attention included) and the
achieved FLOP/s as a fraction of a matrix-multiply peak measured in the
same run on the same machine (these machines are noisy: ratios measured
together are what to quote).

Examples:
    python tools/analysis_tools/benchmark_train.py \\
        configs/semmim/pretrain_4m.py --batch-size 2
    python tools/analysis_tools/benchmark_train.py \\
        configs/semmim/pretrain_4m.py --batch-size 2 \\
        --compare configs/semmim/ablations/pretrain_4m_mim-none.py
    python tools/analysis_tools/benchmark_train.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py --data both
    python tools/analysis_tools/benchmark_train.py \\
        configs/semmim/pretrain_4m.py --batch-size 2 --ab amp
    # how fast could the step be? its matmul and attention kernels alone
    python tools/analysis_tools/benchmark_train.py \\
        configs/semmim/pretrain_4m.py --batch-size 2 --kernels
"""
import argparse
import copy
import random
import resource
import statistics
import time
from collections import Counter
from typing import Dict, List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

import semmim  # noqa: F401
from semmim.cpu import cpu_bf16_speedup, keep_freed_memory, matmul_peak
from semmim.registry import DATASETS, MODELS
from semmim.utils import register_all_modules

WORDS = ('a large small red green blue yellow purple orange circle square '
         'triangle star cross diamond left right of the above below top '
         'bottom center image with two three shapes and is in').split()


def synthetic_batch(cfg: Config, batch_size: int, seed: int = 0) -> dict:
    """A batch shaped like the config's data: two uint8 views + captions."""
    rng = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    size = cfg.model.vision_backbone.get('img_size', 224)
    views = [torch.randint(0, 256, (batch_size, 3, size, size),
                           dtype=torch.uint8, generator=g) for _ in range(2)]
    captions = [' '.join(rng.choice(WORDS) for _ in range(12))
                for _ in range(batch_size)]
    return dict(inputs=views,
                data_samples=[DataSample(text=c) for c in captions])


def drop_pretrained(cfg):
    """Remove ``Pretrained`` init_cfgs: timing does not need real weights,
    and the benchmark must run where they have not been converted."""
    if isinstance(cfg, dict):
        init = cfg.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            cfg.pop('init_cfg')
        for v in cfg.values():
            drop_pretrained(v)
    elif isinstance(cfg, (list, tuple)):
        for v in cfg:
            drop_pretrained(v)
    return cfg


class Bench:
    """One model + optimizer, stepped on demand with timings."""

    def __init__(self, cfg: Config, batch_size: int, amp: bool = False,
                 compile: bool = False, malloc: bool = True,
                 device: str = 'cpu', compile_kwargs: Optional[dict] = None,
                 model: Optional[torch.nn.Module] = None):
        self.cfg = cfg
        self.keep_freed = malloc
        self.amp = amp
        self.device = torch.device(device)
        if model is None:  # else one built elsewhere (benchmark_peer.py)
            model = MODELS.build(drop_pretrained(copy.deepcopy(cfg.model)))
            model.init_weights()
        self.model = model
        self.model.to(self.device)  # the data preprocessor follows
        self.model.train()
        for ema in getattr(self.model, 'momentum_modules', dict)().values():
            ema.total_steps = 10**6
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        if amp:  # bf16 autocast, CPU or GPU (what tools/train.py --amp does)
            optim_cfg.type = 'AutocastOptimWrapper'
            optim_cfg.pop('loss_scale', None)
        self.optim = build_optim_wrapper(self.model, optim_cfg)
        self.batch_size = batch_size
        self.flops: Optional[float] = None
        self.warmup_s = 0.0
        self.compiled = compile
        if compile:
            from semmim.cpu import compile_blocks
            compile_blocks(self.model, **(compile_kwargs or {}))

    def clock(self) -> float:
        """``perf_counter`` once the device's queued work is done (a GPU
        runs asynchronously: without the wait, time lands in later
        parts)."""
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def step(self, batch: dict) -> Dict[str, float]:
        keep_freed_memory(self.keep_freed)  # process-wide
        t0 = self.clock()
        data = self.model.data_preprocessor(batch, True)
        t1 = self.clock()
        with self.optim.optim_context(self.model):
            losses = self.model(**data, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        t2 = self.clock()
        loss.backward()
        t3 = self.clock()
        self.optim.step()
        self.optim.zero_grad()
        t4 = self.clock()
        if hasattr(self.model, 'update_momentum'):
            self.model.update_momentum()
        t5 = self.clock()
        return dict(preprocess=t1 - t0, forward=t2 - t1, backward=t3 - t2,
                    optimizer=t4 - t3, momentum=t5 - t4, total=t5 - t0)

    def count_flops(self, batch: dict) -> float:
        """FLOPs of one forward + backward (attention included)."""
        try:
            from semmim.utils.flops import count_training_flops
            return count_training_flops(self.model, batch)
        except ImportError:
            from torch.utils.flop_counter import FlopCounterMode
            data = self.model.data_preprocessor(batch, True)
            with FlopCounterMode(display=False) as counter:
                losses = self.model(**data, mode='loss')
                sum(v for k, v in losses.items() if 'loss' in k).backward()
            self.optim.zero_grad()
            return float(counter.get_total_flops())


def real_batches(cfg: Config, batch_size: int):
    """Endless batches from the config's training set; the dataset is built
    here, so a missing or bad one raises at the call, not at the first
    ``next``."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    dataset = DATASETS.build(loader_cfg.dataset)
    return _endless(dataset, loader_cfg, batch_size)


def _endless(dataset, loader_cfg, batch_size: int):
    from mmengine.dataset import default_collate
    from torch.utils.data import DataLoader
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=True, drop_last=True,
        num_workers=loader_cfg.get('num_workers', 0),
        collate_fn=default_collate,
        persistent_workers=loader_cfg.get('num_workers', 0) > 0)
    while True:
        for batch in loader:
            yield batch


KERNEL_OPS = ('mm', 'addmm', 'bmm', 'baddbmm',
              '_scaled_dot_product_flash_attention_for_cpu',
              '_scaled_dot_product_flash_attention_for_cpu_backward',
              '_scaled_dot_product_flash_attention',
              '_scaled_dot_product_flash_attention_backward',
              '_scaled_dot_product_efficient_attention',
              '_scaled_dot_product_efficient_attention_backward')


def _spec(x):
    """A hashable description of an op argument (tensors by shape, strides
    and dtype; their values do not change a kernel's time)."""
    if isinstance(x, torch.Tensor):
        return ('tensor', tuple(x.shape), tuple(x.stride()), x.dtype,
                x.device.type)
    if isinstance(x, (list, tuple)):
        return ('seq', tuple(_spec(v) for v in x))
    return ('value', x)


def _materialise(spec):
    kind, *rest = spec
    if kind == 'seq':
        return [_materialise(v) for v in rest[0]]
    if kind == 'value':
        return rest[0]
    shape, stride, dtype, device = rest
    size = 1 + sum((n - 1) * st for n, st in zip(shape, stride)) \
        if all(shape) else 1
    base = torch.randn(size, device=device).to(dtype) \
        if dtype.is_floating_point else torch.ones(size, dtype=dtype,
                                                   device=device)
    return base.as_strided(shape, stride)


def record_kernels(fn) -> Counter:
    """``{(op, arg specs): calls}`` of the matmul and attention kernels
    that ``fn()`` runs (forward and backward)."""
    from torch.utils._python_dispatch import TorchDispatchMode
    ops = {getattr(torch.ops.aten, n).default for n in KERNEL_OPS
           if hasattr(torch.ops.aten, n)}

    class Recorder(TorchDispatchMode):

        def __init__(self):
            super().__init__()
            self.calls = Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func in ops:
                key = (func, tuple(_spec(a) for a in args),
                       tuple(sorted((k, _spec(v)) for k, v in kwargs.items())))
                self.calls[key] += 1
            return func(*args, **kwargs)

    recorder = Recorder()
    with recorder:
        fn()
    return recorder.calls


@torch.no_grad()
def replay_kernels(calls: Counter, repeat: int = 3) -> float:
    """Seconds the recorded kernels take run alone, one call at a time on
    fresh inputs of the same shapes and layouts (best of ``repeat`` per
    call, times its count): the step's time if nothing else cost time."""
    total = 0.0
    for (func, args, kwargs), count in calls.items():
        a = [_materialise(x) for x in args]
        kw = {k: _materialise(v) for k, v in kwargs}
        func(*a, **kw)
        best = float('inf')
        for _ in range(repeat):
            t = time.perf_counter()
            func(*a, **kw)
            if a and isinstance(a[0], torch.Tensor) and a[0].is_cuda:
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t)
        total += best * count
    return total


class Peaks:
    """Matmul peaks measured several times during the run (before the
    first step and between rounds of steps); fractions use the best one.

    A shared machine's peak drifts (we have seen 160 to 260 GFLOP/s in one
    afternoon); one measurement taken in a slow moment would flatter every
    fraction, the best of the run does not.
    """

    def __init__(self, bf16: bool, bf16_n: int = 2048, n: int = 2048):
        self.with_bf16 = bf16
        self.bf16_n = bf16_n
        self.n = n
        self.samples = dict(fp32=[], bf16=[])

    def measure(self):
        self.samples['fp32'].append(matmul_peak(torch.float32, self.n))
        if self.with_bf16:
            self.samples['bf16'].append(
                matmul_peak(torch.bfloat16, min(self.bf16_n, self.n),
                            repeat=3))

    @property
    def fp32(self) -> float:
        return max(self.samples['fp32'])

    @property
    def bf16(self) -> float:
        return max(self.samples['bf16'])

    def ref(self, amp: bool) -> dict:
        """``summarise`` arguments for a run in fp32 or bf16 autocast."""
        if amp and self.with_bf16:
            return dict(peak=self.bf16, peak_name='bf16', fp32_peak=self.fp32)
        return dict(peak=self.fp32)

    def summary(self) -> dict:
        out = dict(peak=self.fp32, peak_samples=list(self.samples['fp32']))
        if self.with_bf16:
            out.update(bf16_peak=self.bf16,
                       bf16_peak_samples=list(self.samples['bf16']))
        return out

    def describe(self) -> str:
        lines = []
        for name, values in self.samples.items():
            if values:
                lines.append(
                    f'{name} matmul peak: best {max(values) / 1e9:.1f} '
                    f'GFLOP/s of {len(values)} measurements during the run '
                    f'(lowest {min(values) / 1e9:.1f}); each fraction above '
                    'is of the best measured before it was printed')
        return '\n'.join(lines)


def summarise(name: str, times: List[Dict[str, float]], batch_size: int,
              flops: float, peak: float, data_times: List[float] = (),
              peak_name: str = 'fp32', fp32_peak: Optional[float] = None):
    med = {k: statistics.median(t[k] for t in times) for k in times[0]}
    total = med['total'] + (statistics.median(data_times)
                            if data_times else 0.0)
    lines = [f'{name}:',
             f'  {batch_size / total:8.2f} samples/s   {total:7.3f} s/iter '
             f'(median of {len(times)})']
    parts = ', '.join(f'{k} {v:.3f}s' for k, v in med.items()
                      if k != 'total')
    if data_times:
        parts = f'data {statistics.median(data_times):.3f}s, ' + parts
    lines.append(f'  breakdown: {parts}')
    # per iteration, then the median (medians of parts do not add up)
    outside = statistics.median(
        (t['total'] + (data_times[i] if data_times else 0.0) - t['forward']
         - t['backward'] - t['optimizer']) /
        (t['total'] + (data_times[i] if data_times else 0.0))
        for i, t in enumerate(times))
    lines.append(f'  outside the model math (data, preprocessing, momentum, '
                 f'Python): {100 * outside:.1f}%')
    if flops:
        lines.append(f'  {flops / 1e9:10.1f} GFLOP/iter   achieved '
                     f'{flops / med["total"] / 1e9:7.1f} GFLOP/s = '
                     f'{100 * flops / med["total"] / peak:.1f}% of the '
                     f'measured {peak_name} matmul peak')
        if fp32_peak and peak_name != 'fp32':
            lines.append(f'  ({100 * flops / med["total"] / fp32_peak:.1f}% '
                         f'of the fp32 matmul peak)')
    return '\n'.join(lines), med['total']


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--compare', help='a second config, interleaved')
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--data', choices=['synthetic', 'real', 'both'],
                        default='synthetic')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument(
        '--amp', action='store_true',
        help='bf16 autocast (AutocastOptimWrapper, as tools/train.py --amp '
        'on a CPU with AMX); the fraction is then of the bf16 peak')
    parser.add_argument(
        '--compile', action='store_true',
        help='torch.compile the transformer blocks (CompileBlocksHook, as '
        'tools/train.py --compile); warm-up then includes compilation')
    parser.add_argument(
        '--default-malloc', action='store_true',
        help="glibc's default allocator settings instead of keeping freed "
        'memory (env_cfg.keep_freed_cpu_memory, on in tools/train.py). The '
        'setting is process-wide: compare it across separate runs, not '
        'interleaved in one')
    parser.add_argument(
        '--ab', choices=['amp', 'compile'],
        help='time CONFIG without and with --amp or --compile, interleaved '
        '(instead of --compare)')
    parser.add_argument(
        '--kernels', action='store_true',
        help="also replay one step's matmul and attention kernels alone "
        '(synthetic data): their time against the step, and the fraction '
        'of the peak a step of only those kernels would reach')
    parser.add_argument(
        '--peak-size', type=int, default=2048,
        help='side of the square matmul that measures the peak (each '
        'measurement is 7 products; smaller is quicker but may read below '
        'the true peak)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.peak_size < 1:
        parser.error(f'--peak-size must be a positive side, got '
                     f'{args.peak_size}')
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()

    base = dict(amp=args.amp, compile=args.compile,
                malloc=not args.default_malloc)
    if args.ab:
        runs = [(args.config, dict(base, **{args.ab: False})),
                (args.config, dict(base, **{args.ab: True}))]
    else:
        runs = [(args.config, base)] + (
            [(args.compare, base)] if args.compare else [])
    with_amp = args.amp or args.ab == 'amp'
    benches = []
    for path, opts in runs:
        cfg = Config.fromfile(path)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        bs = args.batch_size or cfg.train_dataloader.batch_size
        tags = [t for t, on in (('bf16 autocast', opts['amp']),
                                ('compiled blocks', opts['compile']),
                                ('default malloc', not opts['malloc']))
                if on]
        name = path + (f' [{", ".join(tags)}]' if tags else '')
        benches.append((name, cfg, Bench(cfg, bs, **opts)))
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    # the bf16 peak only when bf16 is timed, and at 256 x 256 where bf16 is
    # emulated: there one 2048 x 2048 product takes minutes (0.1 GFLOP/s on
    # an AVX2 CPU without AMX)
    on_cpu = not torch.cuda.is_available()
    probe = cpu_bf16_speedup() if on_cpu else None
    peaks = Peaks(bf16=on_cpu and with_amp,
                  bf16_n=256 if on_cpu and probe < 0.5 else 2048,
                  n=args.peak_size)
    peaks.measure()
    print(f'fp32 matmul peak measured now: {peaks.fp32 / 1e9:.1f} GFLOP/s')
    report = dict(synthetic=[], real=[])
    if on_cpu:
        # AMP on a CPU pays only where bf16 matmuls beat fp32 (AMX); say so
        ratio = peaks.bf16 / peaks.fp32 if peaks.with_bf16 else probe
        report['bf16_over_fp32'] = ratio
        verdict = ('use fp32 here (bf16 is emulated on this CPU)'
                   if ratio < 1.2 else 'bf16 autocast pays here (--amp)')
        if peaks.with_bf16:
            print(f'bf16 matmul peak measured now: {peaks.bf16 / 1e9:.1f} '
                  f'GFLOP/s ({ratio:.2f}x fp32): {verdict}')
        else:
            print(f'bf16 matmuls run at {ratio:.2f}x fp32 here '
                  f'(cpu_bf16_speedup): {verdict}')
    elif with_amp:
        print('--amp on a GPU: fractions are of the fp32 peak measured on '
              'the CPU; use a GPU profiler for GPU peaks')
    if args.data in ('synthetic', 'both'):
        batches = [synthetic_batch(cfg, b.batch_size) for _, cfg, b in
                   benches]
        for (_, _, b), batch in zip(benches, batches):
            b.flops = b.count_flops(batch)
        times = [[] for _ in benches]
        for it in range(args.warmup + args.iters):
            for i, ((_, _, b), batch) in enumerate(zip(benches, batches)):
                t = b.step(batch)  # A B A B ...: drift hits both alike
                if it >= args.warmup:
                    times[i].append(t)
                else:
                    b.warmup_s += t['total']
            peaks.measure()  # between rounds: the best of the whole run
        results = []
        for (path, _, b), tt, batch in zip(benches, times, batches):
            text, total = summarise(f'{path} (synthetic batches of '
                                    f'{b.batch_size})', tt, b.batch_size,
                                    b.flops, data_times=(), **peaks.ref(b.amp))
            print(text)
            print(f'  warm-up: {args.warmup} iterations in {b.warmup_s:.1f} s'
                  + (' (with compilation)' if b.compiled else ''))
            results.append((total, b.flops))
            report['synthetic'].append(dict(config=path, s_per_iter=total,
                                            flops=b.flops))
            if args.kernels:
                calls = record_kernels(lambda: b.step(batch))
                kernel_s = replay_kernels(calls)
                peak = peaks.ref(b.amp)['peak']
                print(f'  matmul + attention kernels alone '
                      f'({sum(calls.values())} calls, {len(calls)} shapes, '
                      f'replayed one by one): {kernel_s:.3f} s = '
                      f'{100 * kernel_s / total:.0f}% of the step; a step '
                      f'of only these kernels: '
                      f'{100 * b.flops / kernel_s / peak:.1f}% of the peak')
                report['synthetic'][-1]['kernel_s'] = kernel_s
        if len(results) == 2:
            (ta, fa), (tb, fb) = results
            print(f'A/B: time {ta / tb:.3f}x, FLOPs {fa / fb:.3f}x, '
                  f'time ratio / FLOP ratio {ta / tb / (fa / fb):.3f}')
            report['time_ratio'], report['flop_ratio'] = ta / tb, fa / fb
    if args.data in ('real', 'both'):
        for path, cfg, b in benches:
            try:
                gen = real_batches(cfg, b.batch_size)
            except (FileNotFoundError, ValueError) as e:
                print(f'{path}: real data unavailable ({e}); skipped')
                continue
            tt, data_times = [], []
            for it in range(args.warmup + args.iters):
                t = time.perf_counter()
                batch = next(gen)
                dt = time.perf_counter() - t
                step = b.step(batch)
                if it >= args.warmup:
                    tt.append(step)
                    data_times.append(dt)
            peaks.measure()
            text, total = summarise(f'{path} (real dataloader, batch '
                                    f'{b.batch_size})', tt, b.batch_size,
                                    b.flops, data_times=data_times,
                                    **peaks.ref(b.amp))
            print(text)
            report['real'].append(dict(config=path, s_per_iter=total))
    report.update(peaks.summary())
    print(peaks.describe())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'peak resident memory of this process: {peak_mb:.0f} MiB')
    return report


if __name__ == '__main__':
    main()
