"""Train a config's ViT on Shapes-VL shape labels, as a pretrained start.

The paper starts SemMIM from a CLIP ViT, which already tells shapes apart;
the demo starts from scratch, and on its budget neither tower ever moves
off colour (README, "See what the model learned"). This trains the
config's ``vision_backbone`` (with a linear head, dropped afterwards) on
the multi-hot shape labels of a Shapes-VL split, and writes a checkpoint
that ``load_from`` can start a SemMIM run from: the same weights for the
online ViT and every copy of it (the momentum encoder). Single-object
accuracy on the test split is printed as it trains.

Example (the ViT of configs/semmim/shapes-vl_code-purity/
demo_shape-supervised-vit.py):
    python tools/analysis_tools/shape_supervised_vit.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        --steps 600 --out work_dirs/shape_supervised_vit/vit.pth
"""
import argparse
import os
import os.path as osp

import torch
import torch.nn as nn

from semmim.visualization.attributes import shapes_vl_vocab
from semmim.visualization.patch_codes import image_size_of, load_images
from semmim.visualization.samples import shapes_vl_samples
from semmim.visualization.tool_args import load_model


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config whose vision_backbone to '
                        'train')
    parser.add_argument('--data-root', default='data/shapes_vl')
    parser.add_argument('--steps', type=int, default=600)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--eval-interval', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', required=True, help='checkpoint to write')
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    args.checkpoint, args.device, args.cfg_options = None, 'cpu', None
    return args


def shape_data(model, data_root: str, split: str, shapes):
    """Normalised images and multi-hot shape labels of a split (and which
    images hold a single object)."""
    samples = shapes_vl_samples(data_root, split)
    images, _ = load_images([s['image'] for s in samples],
                            image_size_of(model))
    labels = torch.zeros(len(samples), len(shapes))
    for i, sample in enumerate(samples):
        for obj in sample['scene']['objects']:
            labels[i, shapes.index(obj['shape'])] = 1
    single = torch.tensor([len(s['scene']['objects']) == 1 for s in samples])
    return model.data_preprocessor.normalize(images), labels, single


def backbone_prefixes(model) -> list:
    """Names of ``model.vision_backbone`` and its copies (same class)."""
    cls = type(model.vision_backbone)
    return [name for name, module in model.named_modules()
            if type(module) is cls]


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    model = load_model(args)
    vit = model.vision_backbone.train()
    _, shapes = shapes_vl_vocab(args.data_root)
    x_train, y_train, _ = shape_data(model, args.data_root, 'train', shapes)
    x_test, y_test, single = shape_data(model, args.data_root, 'test',
                                        shapes)
    head = nn.Linear(vit.embed_dims, len(shapes))
    params = list(vit.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)

    def logits(x):
        return head(vit(x)[0][:, 0])

    def single_object_accuracy():
        vit.eval()
        with torch.no_grad():
            pred = logits(x_test[single]).argmax(1)
        vit.train()
        return float((pred == y_test[single].argmax(1)).float().mean())

    accuracy = None
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(x_train), (args.batch_size, ))
        loss = nn.functional.binary_cross_entropy_with_logits(
            logits(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.eval_interval == 0 or step == args.steps:
            accuracy = single_object_accuracy()
            print(f'step {step}/{args.steps}  loss {loss.item():.4f}  '
                  f'single-object test shape accuracy {accuracy:.3f}',
                  flush=True)
    weights = vit.state_dict()
    state = {f'{prefix}.{key}': value.clone()
             for prefix in backbone_prefixes(model)
             for key, value in weights.items()}
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(dict(state_dict=state,
                    meta=dict(config=args.config, steps=args.steps,
                              shape_accuracy=accuracy)), args.out)
    print(f'wrote {args.out} ({len(state)} tensors, copies: '
          f'{", ".join(backbone_prefixes(model))})')
    return dict(out=args.out, shape_accuracy=accuracy,
                prefixes=backbone_prefixes(model))


if __name__ == '__main__':
    main()
