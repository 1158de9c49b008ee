"""Can a ViT of the demo's size read the shapes of Shapes-VL v2 at all?

A study of the data, not of SemMIM: the ``vision_backbone`` of a config
(the demo's 192-d, 4-layer ViT on 64 px images by default), from scratch,
is trained with supervision to tell, for each quadrant of a Shapes-VL v2
image, which shape is there (or that it is empty), and the shape accuracy
over the objects of the test split is printed as it trains. If this stays
low within a few hundred steps, no pre-training objective can make the
model learn shapes on the demo's budget, and the world (object size,
shapes) or the input size must change.

Readouts: ``quadrant`` (default) classifies the mean of each quadrant's
patch tokens (a shared linear head); ``cls`` classifies all four quadrants
from the [CLS] token (what a global image embedding must hold).

Example:
    python tools/analysis_tools/shape_legibility.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py \\
        --data-root data/shapes_vl_v2 --steps 300
"""
import argparse
import json
import os
import os.path as osp
import time

import torch
import torch.nn as nn

from semmim.visualization.patch_codes import image_size_of, load_images
from semmim.visualization.samples import shapes_vl_samples
from semmim.visualization.tool_args import load_model


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config whose vision_backbone to '
                        'train (its input size is used)')
    parser.add_argument('--data-root', default='data/shapes_vl_v2')
    parser.add_argument('--readout', choices=['quadrant', 'cls'],
                        default='quadrant')
    parser.add_argument('--steps', type=int, default=300)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--eval-interval', type=int, default=50)
    parser.add_argument('--num-train', type=int, default=None,
                        help='first N train images (default: all)')
    parser.add_argument('--num-test', type=int, default=None,
                        help='first N test images (default: all)')
    parser.add_argument('--stop-at', type=float, default=None,
                        help='stop at the first evaluation whose shape '
                        'accuracy reaches this (e.g. 0.9); default: run '
                        'all --steps')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--out', help='JSON with the accuracy curve')
    args = parser.parse_args(argv)
    if args.steps < 1 or args.eval_interval < 1:
        parser.error('--steps and --eval-interval must be >= 1')
    args.checkpoint, args.device, args.cfg_options = None, 'cpu', None
    return args


def read_world(data_root: str):
    """``(shapes, quadrants)`` of a Shapes-VL v2 ``meta.json``."""
    path = osp.join(data_root, 'meta.json')
    if not osp.isfile(path):
        raise SystemExit(f'{path} not found; generate Shapes-VL v2 with '
                         'tools/dataset_converters/generate_shapes_vl.py '
                         '--world v2')
    with open(path) as f:
        meta = json.load(f)
    if meta.get('world') != 'v2':
        raise SystemExit(f'{path}: not a Shapes-VL v2 dataset (field '
                         '"world"); the study needs one object per quadrant')
    return list(meta['vocab']['shapes']), list(meta['vocab']['positions'])


def quadrant_labels(samples, shapes, quadrants) -> torch.Tensor:
    """``(N, 4)`` labels: 0 = empty quadrant, ``1 + shape index``."""
    labels = torch.zeros(len(samples), len(quadrants), dtype=torch.long)
    for i, sample in enumerate(samples):
        for obj in sample['scene']['objects']:
            labels[i, quadrants.index(obj['position'])] = (
                1 + shapes.index(obj['shape']))
    return labels


class Readout(nn.Module):
    """Quadrant logits ``(B, 4, 1 + num_shapes)`` from ViT tokens."""

    def __init__(self, dims: int, num_classes: int, mode: str):
        super().__init__()
        self.mode, self.num_classes = mode, num_classes
        out = num_classes * (4 if mode == 'cls' else 1)
        self.fc = nn.Linear(dims, out)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.mode == 'cls':
            return self.fc(tokens[:, 0]).view(-1, 4, self.num_classes)
        patches = tokens[:, 1:]
        side = int(round(patches.shape[1]**0.5))
        grid = patches.reshape(-1, 2, side // 2, 2, side // 2,
                               patches.shape[-1])
        # (B, row half, col half, C) in the order top left, top right,
        # bottom left, bottom right
        pooled = grid.mean(dim=(2, 4)).reshape(-1, 4, patches.shape[-1])
        return self.fc(pooled)


def shape_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> dict:
    """Shape accuracy over the objects (arg-max among the shapes only) and
    empty-quadrant accuracy."""
    full = labels > 0
    pred_shape = logits[..., 1:].argmax(-1) + 1
    pred_empty = logits.argmax(-1) == 0
    return dict(
        shape=float((pred_shape[full] == labels[full]).float().mean()),
        empty=float((pred_empty == ~full).float().mean()))


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    shapes, quadrants = read_world(args.data_root)
    torch.manual_seed(args.seed)
    model = load_model(args)
    vit = model.vision_backbone.train()
    size = image_size_of(model)
    data = {}
    for split, num in (('train', args.num_train), ('test', args.num_test)):
        samples = shapes_vl_samples(args.data_root, split, num_images=num)
        images, _ = load_images([s['image'] for s in samples], size)
        data[split] = (model.data_preprocessor.normalize(images),
                       quadrant_labels(samples, shapes, quadrants))
    x_train, y_train = data['train']
    x_test, y_test = data['test']
    head = Readout(vit.embed_dims, 1 + len(shapes), args.readout)
    params = list(vit.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)
    print(f'{args.config}: ViT on {size} px, readout {args.readout}; '
          f'{len(x_train)} train / {len(x_test)} test images, '
          f'{int((y_test > 0).sum())} test objects, shapes {shapes} '
          f'(chance {1 / len(shapes):.3f})', flush=True)

    def evaluate():
        vit.eval()
        with torch.no_grad():
            logits = torch.cat([
                head(vit(x_test[i:i + 256])[0])
                for i in range(0, len(x_test), 256)
            ])
        vit.train()
        return shape_accuracy(logits, y_test)

    curve, start = [], time.time()
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(x_train), (args.batch_size, ))
        logits = head(vit(x_train[idx])[0])
        loss = nn.functional.cross_entropy(
            logits.flatten(0, 1), y_train[idx].flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.eval_interval == 0 or step == args.steps:
            acc = evaluate()
            curve.append(dict(step=step, loss=round(loss.item(), 4), **acc))
            print(f'step {step}/{args.steps}  loss {loss.item():.4f}  test '
                  f'shape accuracy {acc["shape"]:.3f}  empty-quadrant '
                  f'accuracy {acc["empty"]:.3f}  ({time.time() - start:.0f}'
                  ' s)', flush=True)
            if args.stop_at is not None and acc['shape'] >= args.stop_at:
                print(f'shape accuracy {acc["shape"]:.3f} >= '
                      f'{args.stop_at} at step {step}: stopping')
                break
    result = dict(config=args.config, data_root=args.data_root,
                  readout=args.readout, image_size=size,
                  steps=curve[-1]['step'],
                  batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                  shape_accuracy=curve[-1]['shape'], curve=curve)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
        print(f'wrote {args.out}')
    return result


if __name__ == '__main__':
    main()
