"""Parameters and FLOPs of a model (paper Table 8 style).

Prints the trainable and frozen/EMA parameters of each part (see
model_params.py), then the FLOPs of

* one pre-training step (``SemMIM`` configs): forward + backward of
  ``SemMIM.loss`` with every pass, momentum ones included, per sample and
  per step at the config's batch size, with the forward split by part;
* inference, by task: image / text features (pre-training and retrieval
  models), an ITM re-rank pair (retrieval), image encoding and a beam step
  (captioning), question encoding and an answer step (VQA).

FLOPs count matrix products, convolutions and attention (1 multiply-add =
2 FLOPs); see semmim/utils/flops.py for the conventions. Texts are
``--text-length`` tokens (default: the preprocessor's max_length, an upper
bound). Weights are random: the counts do not depend on them, except where
generation stops early, which is why generation is run to its max length.

Examples:
    python tools/analysis_tools/get_flops.py configs/semmim/pretrain_4m.py
    python tools/analysis_tools/get_flops.py \\
        configs/caption/semmim-caption_vit-b16_8xb64-ce-5e_coco.py \\
        --out work_dirs/flops_caption.json
"""
import argparse
import os.path as osp
import sys
import time

import torch
from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from model_params import count_by_part, format_table  # noqa: E402

from semmim.utils.flops import (build_for_counting, format_flops,  # noqa
                                inference_flops, pretrain_inputs,
                                training_step_flops)
from semmim.visualization.tool_args import write_json  # noqa: E402

PAPER_TOTAL = 360e6  # SemMIM trainable parameters, paper Table 8


def measure(cfg, batch_size: int = 2, text_length=None, with_cp=False,
            train: bool = True) -> dict:
    """Parameters and FLOPs of ``cfg.model`` as a JSON-able dict."""
    model = build_for_counting(cfg, with_cp=with_cp)
    parts = count_by_part(model)
    report = dict(model=type(model).__name__,
                  params={k: v for k, v in parts.items()
                          if v['trainable'] or v['frozen']},
                  trainable=sum(v['trainable'] for v in parts.values()),
                  frozen=sum(v['frozen'] for v in parts.values()),
                  batch_size=batch_size)
    if train and type(model).__name__ == 'SemMIM':
        step = training_step_flops(
            model, pretrain_inputs(model, batch_size, text_length))
        loader_bs = cfg.get('train_dataloader', {}).get('batch_size')
        report['train_step'] = dict(
            forward=step['forward'].total / batch_size,
            backward=step['backward'].total / batch_size,
            total=step['total'].total / batch_size,
            forward_by_part={k: v / batch_size for k, v in
                             step['forward'].by_part.items()},
            by_op={k: v / batch_size
                   for k, v in step['total'].by_op.items()},
            config_batch_size=loader_bs,
            per_step_at_config_batch=(step['total'].total / batch_size *
                                      loader_bs) if loader_bs else None)
    inference = inference_flops(model, 1, text_length)
    report['inference'] = {k: v.total for k, v in inference.items()}
    return report


def format_report(report: dict, reference=None) -> str:
    from collections import OrderedDict
    rows = [format_table(OrderedDict(report['params']), reference)]
    step = report.get('train_step')
    if step:
        rows.append('')
        rows.append('training step, per sample (forward + backward, all '
                    'passes):')
        rows.append(f'  forward  {format_flops(step["forward"]):>16}')
        rows.append(f'  backward {format_flops(step["backward"]):>16}')
        rows.append(f'  total    {format_flops(step["total"]):>16}')
        if step['per_step_at_config_batch']:
            rows.append(
                f'  per step at the config batch ({step["config_batch_size"]}'
                f' per GPU): {format_flops(step["per_step_at_config_batch"])}')
        rows.append('  forward by part:')
        for k, v in sorted(step['forward_by_part'].items(),
                           key=lambda kv: -kv[1]):
            rows.append(f'    {k:<36}{format_flops(v):>16}'
                        f'{100 * v / step["forward"]:>7.1f}%')
    rows.append('')
    rows.append('inference, per sample:')
    for k, v in report['inference'].items():
        rows.append(f'  {k:<20}{format_flops(v):>16}')
    return '\n'.join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=2,
                        help='samples in the measured training step (>= 2 '
                        'for ITM negatives); counts are reported per '
                        'sample')
    parser.add_argument('--text-length', type=int, default=None)
    parser.add_argument('--with-cp', action='store_true',
                        help='keep activation checkpointing (counts the '
                        're-run forwards)')
    parser.add_argument('--no-train', action='store_true',
                        help='skip the training step')
    parser.add_argument('--out', help='write the numbers to this JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    start = time.time()
    report = measure(cfg, args.batch_size, args.text_length, args.with_cp,
                     train=not args.no_train)
    report['config'] = args.config
    ref = PAPER_TOTAL if report['model'] == 'SemMIM' and \
        'pretrain_4m' in args.config else None
    print(f'{args.config}: {report["model"]}')
    print(format_report(report, ref))
    print(f'({time.time() - start:.1f} s)')
    if args.out:
        write_json(args.out, report)
        print(f'wrote {args.out}')
    return report


if __name__ == '__main__':
    main()
