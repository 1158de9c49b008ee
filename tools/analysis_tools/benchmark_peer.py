"""This project's retrieval fine-tuning step beside a peer's: mmpretrain's
BLIP retrieval model, same size, batch and resolution, stepped alternately.

The peer is mmpretrain 1.2.0's ``BlipRetrieval`` as its config
``mmpretrain::blip/blip-base_8xb32_retrieval.py`` builds it (ViT-B/16 and a
12-layer BERT-base text encoder whose layers also cross-attend for ITM;
ITC with a momentum encoder and queue, ITM with hard negatives), with
random weights and its BERT tokenizer read from the local vocabulary this
project uses (no model hub). Ours is the model of
``configs/retrieval/semmim-retrieval_vit-b16_8xb32-10e_flickr30k.py``
(ViT-B/16, a 6-layer text encoder and a 6-layer fusion encoder; ITC with a
momentum encoder and queue, ITM with hard negatives). Both get the same
synthetic batches (uint8 images at ``--img-size``, 12-word captions), the
same optimizer (that config's AdamW) and the same precision; the
full-size pre-training step (``configs/semmim/pretrain_4m.py``) is
stepped beside them (A B C A B C ...) for its time per sample.

Printed per model: s/iter and ms/sample, FLOPs per step (forward +
backward, attention included: ``semmim.utils.flops``) and achieved
GFLOP/s, peak memory (on a GPU the allocator's peak; on a CPU the peak
resident memory of a separate process that builds the model and takes
``--memory-steps`` steps), and the ratios ours / theirs. ``--profile``
adds the top operators of one step of each (``torch.profiler``).

Examples:
    python tools/analysis_tools/benchmark_peer.py --batch-size 4
    python tools/analysis_tools/benchmark_peer.py --batch-size 32 --amp \\
        --device cuda --img-size 384
"""
import argparse
import copy
import json
import os.path as osp
import random
import resource
import statistics
import subprocess
import sys
from typing import Dict, Optional

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import benchmark_train as bt  # noqa: E402

OURS = 'configs/retrieval/semmim-retrieval_vit-b16_8xb32-10e_flickr30k.py'
PRETRAIN = 'configs/semmim/pretrain_4m.py'
PEER = 'mmpretrain::blip/blip-base_8xb32_retrieval.py'
NAMES = ('ours', 'blip', 'pretrain')


def our_cfg(img_size: int, path: str = OURS) -> Config:
    cfg = Config.fromfile(osp.join(REPO, path))
    cfg.model.vision_backbone.img_size = img_size
    return cfg


def peer_cfg(img_size: int, optim_wrapper: dict) -> Config:
    """BLIP's retrieval config, random weights, a local tokenizer, our
    optimizer (plain ``OptimWrapper``: no parameter groups either side
    would share)."""
    from semmim.models.utils.tokenizer import MINILM_DIR
    from semmim.utils import resolve_path
    from mmengine.hub import get_config
    blip = get_config(PEER)  # read from mmpretrain's installed configs
    model = copy.deepcopy(blip.model)
    model.tokenizer.name_or_path = resolve_path(MINILM_DIR)
    model.vision_backbone.img_size = img_size
    model.data_preprocessor = copy.deepcopy(blip.data_preprocessor)
    optim = dict(type='OptimWrapper',
                 optimizer=copy.deepcopy(optim_wrapper['optimizer']))
    return Config(dict(model=model, optim_wrapper=optim))


def build_bench(name: str, args) -> bt.Bench:
    ours = our_cfg(args.img_size)
    if name == 'ours':
        return bt.Bench(ours, args.batch_size, amp=args.amp,
                        device=args.device)
    if name == 'pretrain':
        return bt.Bench(our_cfg(args.img_size, PRETRAIN), args.batch_size,
                        amp=args.amp, device=args.device)
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    cfg = peer_cfg(args.img_size, ours.optim_wrapper)
    # mmpretrain's scope: its ITCHead / ITMHead, not ours of the same name
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return bt.Bench(cfg, args.batch_size, amp=args.amp, device=args.device,
                    model=model)


def make_batch(name: str, cfg: Config, batch_size: int, img_size: int,
               seed: int = 0) -> dict:
    """The same synthetic images and captions for every model: one view
    and an image id for retrieval, two views for pre-training."""
    if name == 'pretrain':
        return bt.synthetic_batch(cfg, batch_size, seed)
    rng = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (batch_size, 3, img_size, img_size),
                           dtype=torch.uint8, generator=g)
    # is_matched: BLIP's ITM head reads it (its datasets set it)
    samples = [DataSample(text=' '.join(rng.choice(bt.WORDS)
                                        for _ in range(12)), image_id=i,
                          is_matched=True)
               for i in range(batch_size)]
    return dict(inputs=images, data_samples=samples)


def counted_step(bench: bt.Bench, batch: dict) -> float:
    """Take one training step (a warm-up step) and return its FLOPs:
    forward + backward through ``model(**data)`` whatever the model's input
    names (BLIP takes ``images``, ours ``inputs``); the optimizer and
    momentum updates are element-wise and count nothing."""
    from semmim.utils.flops import count_flops
    _, count = count_flops(bench.step, batch, model=bench.model)
    return float(count.total)


def memory_child(name: str, args) -> Optional[float]:
    """Peak resident memory (MiB) of a process that builds ``name`` and
    takes two steps (CPU: one process's peak cannot be split by model)."""
    cmd = [sys.executable, __file__, '--memory-of', name, '--memory-steps',
           str(args.memory_steps),
           '--batch-size', str(args.batch_size), '--img-size',
           str(args.img_size), '--device', args.device]
    if args.amp:
        cmd.append('--amp')
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith('{'):
            return json.loads(line)['peak_mib']
    print(f'  memory of {name}: the child failed:\n'
          f'{proc.stderr[-1500:]}')
    return None


def profile_step(bench: bt.Bench, batch: dict, top: int = 15) -> str:
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + (
        [ProfilerActivity.CUDA] if bench.device.type == 'cuda' else [])
    with profile(activities=acts) as prof:
        bench.step(batch)
    key = 'self_cuda_time_total' if bench.device.type == 'cuda' else \
        'self_cpu_time_total'
    return prof.key_averages().table(sort_by=key, row_limit=top)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed steps (at least 1: the first is '
                        'counted for FLOPs)')
    parser.add_argument('--threads', type=int)
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast for all models')
    parser.add_argument('--no-pretrain', action='store_true',
                        help='leave the pre-training step out')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the memory measurement (CPU: two more '
                        'processes)')
    parser.add_argument('--profile', action='store_true',
                        help='top operators of one step of each model')
    parser.add_argument('--memory-steps', type=int, default=2,
                        help='steps of each memory process (CPU)')
    parser.add_argument('--memory-of', choices=NAMES, help=argparse.SUPPRESS)
    parser.add_argument('--out', help='also write the report as JSON')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.logging import MMLogger

    from semmim.utils import register_all_modules
    register_all_modules()
    MMLogger.get_current_instance().setLevel('WARNING')

    if args.memory_of:  # the child of memory_child
        bench = build_bench(args.memory_of, args)
        batch = make_batch(args.memory_of, bench.cfg, args.batch_size,
                           args.img_size)
        for _ in range(args.memory_steps):
            bench.step(batch)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(dict(peak_mib=peak)))
        return dict(peak_mib=peak)

    names = ['ours', 'blip'] + ([] if args.no_pretrain else ['pretrain'])
    cuda = args.device.startswith('cuda')
    peaks = {n: 0.0 for n in names}
    if not cuda and not args.no_memory:
        # first, while this process holds no model: three full-size models
        # with their momentum copies and optimizer states (14 GB at batch
        # 2) and a child beside them can exhaust a small machine
        peaks = {n: memory_child(n, args) for n in names}
    benches: Dict[str, bt.Bench] = {n: build_bench(n, args) for n in names}
    batches = {n: make_batch(n, b.cfg, args.batch_size, args.img_size)
               for n, b in benches.items()}
    # the first warm-up step of each model is counted
    flops = {}
    for n, b in benches.items():
        flops[n] = counted_step(b, batches[n])
        print(f'  step 0 of {n} (counted): {flops[n] / 1e9:.1f} GFLOP',
              flush=True)
    times = {n: [] for n in names}
    for it in range(1, max(args.warmup, 1) + args.iters):
        for n in names:  # A B C A B C: drift hits all alike
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            step = benches[n].step(batches[n])
            t = step['total']
            if cuda:
                peaks[n] = max(peaks[n],
                               torch.cuda.max_memory_allocated() / 2**20)
            if it >= max(args.warmup, 1):
                times[n].append(step)
            print(f'  step {it} of {n}: {t:.3f} s (' + ', '.join(
                f'{k} {v:.2f}' for k, v in step.items() if k != 'total')
                + ')', flush=True)
    med = {n: statistics.median(s['total'] for s in t)
           for n, t in times.items()}
    parts = {n: {k: statistics.median(s[k] for s in t) for k in t[0]}
             for n, t in times.items()}
    profiles = {}
    if args.profile:
        profiles = {n: profile_step(b, batches[n])
                    for n, b in benches.items()}
    params = {n: sum(p.numel() for p in b.model.parameters()
                     if p.requires_grad) for n, b in benches.items()}
    del benches, b
    bs = args.batch_size
    print(f'torch {torch.__version__}, {args.device}, '
          f'{torch.get_num_threads()} threads, batch {bs}, '
          f'{args.img_size} px, {"bf16 autocast" if args.amp else "fp32"}, '
          f'median of {args.iters} steps after {max(args.warmup, 1)}')
    label = dict(ours='ours: SemMIMRetrieval (' + OURS + ')',
                 blip='theirs: mmpretrain BlipRetrieval (' + PEER + ')',
                 pretrain='ours, pre-training step (' + PRETRAIN + ')')
    report = dict(batch=bs, img_size=args.img_size, device=args.device,
                  amp=args.amp, models={})
    for n in names:
        r = dict(s_per_iter=med[n], ms_per_sample=1000 * med[n] / bs,
                 flops=flops[n], gflops_per_s=flops[n] / med[n] / 1e9,
                 peak_mib=peaks[n], trainable_params=params[n],
                 parts=parts[n])
        report['models'][n] = r
        mem = f'{r["peak_mib"]:.0f} MiB' if r['peak_mib'] else 'n/a'
        print(f'{label[n]}:\n  {r["s_per_iter"]:.3f} s/iter, '
              f'{r["ms_per_sample"]:.0f} ms/sample, '
              f'{r["flops"] / 1e9:.1f} GFLOP/step, '
              f'{r["gflops_per_s"]:.1f} GFLOP/s, peak memory {mem}, '
              f'{r["trainable_params"] / 1e6:.1f} M trainable parameters\n'
              '  median parts: ' + ', '.join(
                  f'{k} {v:.2f} s' for k, v in parts[n].items()
                  if k != 'total'))
    o, t = report['models']['ours'], report['models']['blip']
    ratios = dict(time_per_sample=o['s_per_iter'] / t['s_per_iter'],
                  flops=o['flops'] / t['flops'])
    ratios['time_per_flop'] = ratios['time_per_sample'] / ratios['flops']
    if o['peak_mib'] and t['peak_mib']:
        ratios['peak_memory'] = o['peak_mib'] / t['peak_mib']
    report['ours_over_theirs'] = ratios
    print('ours / theirs: ' + ', '.join(f'{k} {v:.3f}'
                                         for k, v in ratios.items()))
    for n, table in profiles.items():
        print(f'\nprofile of one step, {label[n]}:\n{table}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == '__main__':
    main()
