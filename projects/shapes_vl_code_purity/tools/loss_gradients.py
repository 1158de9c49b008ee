"""Which loss trains which part: per-loss gradient norms on a submodule.

Runs a few training batches of the config's train dataloader through the
model (loss mode, as in training) and takes each loss's gradient
separately on one submodule's parameters. See
shapes_vl_study/loss_gradients.py in this project.

Example (what trains the ViT of the demo checkpoint?):
    python projects/shapes_vl_code_purity/tools/loss_gradients.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        work_dirs/demo/pretrain/last.pth --module vision_backbone
"""
import argparse
import itertools
import os.path as osp
import sys

import torch

# the project's own package (projects/shapes_vl_code_purity/shapes_vl_study)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from shapes_vl_study.loss_gradients import (  # noqa: E402
    format_loss_gradients, loss_gradients)
from semmim.visualization.tool_args import (add_model_args, default_out,
                                            load_config, load_model,
                                            write_json)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    parser.add_argument('--module', default='vision_backbone',
                        help='submodule to measure (default: %(default)s)')
    parser.add_argument('--batches', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=None,
                        help='override the dataloader batch size')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='JSON (default: <checkpoint dir>/'
                        'analysis/loss_gradients.json)')
    return parser.parse_args(argv)


def main(argv=None):
    from mmengine.runner import Runner
    args = parse_args(argv)
    cfg = load_config(args)
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(num_workers=0, persistent_workers=False)
    if args.batch_size:
        loader_cfg['batch_size'] = args.batch_size
    model = load_model(args, cfg).train()  # registers semmim's modules
    torch.manual_seed(args.seed)
    loader = Runner.build_dataloader(loader_cfg, seed=args.seed)
    stats = loss_gradients(model, itertools.islice(loader, args.batches),
                           args.module)
    print(format_loss_gradients(stats, args.module))
    out = args.out or default_out(args, 'loss_gradients.json')
    write_json(out, dict(config=args.config, checkpoint=args.checkpoint,
                         module=args.module, batches=args.batches,
                         losses=stats))
    print(f'wrote {out}')
    return stats


if __name__ == '__main__':
    main()
