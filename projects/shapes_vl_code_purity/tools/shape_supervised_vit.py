"""Train a config's ViT on Shapes-VL shape labels, as a pretrained start.

The paper starts SemMIM from a CLIP ViT, which already tells shapes apart;
the demo starts from scratch, and on its budget neither tower ever moves
off colour (this project's README). This trains the
config's ``vision_backbone`` (with a linear head, dropped afterwards) on
the multi-hot shape labels of a Shapes-VL split (``--labels shape+color``:
shape and colour labels side by side, nearer to what a CLIP ViT knows),
and writes a checkpoint that ``load_from`` can start a SemMIM run from: the
same weights for the online ViT and every copy of it (the momentum
encoder). Single-object accuracy on the test split (shape, and colour
when trained on it) is printed as it trains. ``--init`` continues from a
start the tool wrote, e.g. shape labels first and then shape and colour
(the colour labels alone are a shortcut the ViT takes before shape).

Example (the ViT of projects/shapes_vl_code_purity/configs/
demo_shape-supervised-vit.py):
    python projects/shapes_vl_code_purity/tools/shape_supervised_vit.py \\
        configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \\
        --steps 1200 --seed 2 --out work_dirs/shape_supervised_vit/vit.pth
"""
import argparse
import os
import os.path as osp

import torch
import torch.nn as nn

from semmim.utils.checkpoint_io import (CheckpointLoadError,
                                        load_checkpoint_file)
from semmim.visualization.attributes import shapes_vl_vocab
from semmim.visualization.patch_codes import image_size_of, load_images
from semmim.visualization.samples import shapes_vl_samples
from semmim.visualization.tool_args import load_model


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config whose vision_backbone to '
                        'train')
    parser.add_argument('--data-root', default='data/shapes_vl')
    parser.add_argument('--labels', choices=['shape', 'shape+color'],
                        default='shape', help='multi-hot labels to train '
                        'on (default: %(default)s)')
    parser.add_argument('--init', help='checkpoint this tool wrote, to '
                        'continue training from (default: from scratch)')
    parser.add_argument('--steps', type=int, default=1200)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--eval-interval', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', required=True, help='checkpoint to write')
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    args.checkpoint, args.device, args.cfg_options = args.init, 'cpu', None
    return args


def shape_data(model, data_root: str, split: str, shapes, colors=()):
    """Normalised images and multi-hot labels of a split: the shapes, then
    the colours if given (and which images hold a single object)."""
    samples = shapes_vl_samples(data_root, split)
    images, _ = load_images([s['image'] for s in samples],
                            image_size_of(model))
    labels = torch.zeros(len(samples), len(shapes) + len(colors))
    for i, sample in enumerate(samples):
        for obj in sample['scene']['objects']:
            labels[i, shapes.index(obj['shape'])] = 1
            if colors:
                labels[i, len(shapes) + colors.index(obj['color'])] = 1
    single = torch.tensor([len(s['scene']['objects']) == 1 for s in samples])
    return model.data_preprocessor.normalize(images), labels, single


def backbone_prefixes(model) -> list:
    """Names of ``model.vision_backbone`` and its copies (same class)."""
    cls = type(model.vision_backbone)
    return [name for name, module in model.named_modules()
            if type(module) is cls]


def main(argv=None):
    args = parse_args(argv)
    start_head = None
    if args.init:
        # checked before the model and the images are loaded
        try:  # weights only: no code in the file runs
            start_head = load_checkpoint_file(args.init).get('head')
        except CheckpointLoadError as e:
            raise SystemExit(str(e)) from None
        if start_head is None:
            raise SystemExit(f'{args.init}: no "head" entry; --init takes '
                             'a checkpoint written by this tool')
    torch.manual_seed(args.seed)
    model = load_model(args)
    vit = model.vision_backbone.train()
    colors, shapes = shapes_vl_vocab(args.data_root)
    colors = colors if args.labels == 'shape+color' else []
    x_train, y_train, _ = shape_data(model, args.data_root, 'train', shapes,
                                     colors)
    x_test, y_test, single = shape_data(model, args.data_root, 'test',
                                        shapes, colors)
    head = nn.Linear(vit.embed_dims, len(shapes) + len(colors))
    if start_head is not None:
        # the head's rows the start has (shapes first), so that the new
        # labels do not send a random head's gradients into a trained ViT
        rows = min(len(start_head['bias']), len(head.bias))
        with torch.no_grad():
            head.weight[:rows] = start_head['weight'][:rows]
            head.bias[:rows] = start_head['bias'][:rows]
    groups = dict(shape=slice(0, len(shapes)))
    if colors:
        groups['colour'] = slice(len(shapes), None)
    params = list(vit.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)

    def logits(x):
        return head(vit(x)[0][:, 0])

    def single_object_accuracy():
        """Arg-max accuracy within each label group (shape, colour)."""
        vit.eval()
        with torch.no_grad():
            out = logits(x_test[single])
        vit.train()
        target = y_test[single]
        return {name: float((out[:, g].argmax(1) == target[:, g].argmax(1))
                            .float().mean()) for name, g in groups.items()}

    accuracy = {}
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(x_train), (args.batch_size, ))
        loss = nn.functional.binary_cross_entropy_with_logits(
            logits(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.eval_interval == 0 or step == args.steps:
            accuracy = single_object_accuracy()
            scores = '  '.join(f'{name} {acc:.3f}'
                               for name, acc in accuracy.items())
            print(f'step {step}/{args.steps}  loss {loss.item():.4f}  '
                  f'single-object test accuracy: {scores}', flush=True)
    weights = vit.state_dict()
    state = {f'{prefix}.{key}': value.clone()
             for prefix in backbone_prefixes(model)
             for key, value in weights.items()}
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(dict(state_dict=state, head=head.state_dict(),
                    # only the ViT and its copies: loaders accept that
                    meta=dict(partial_checkpoint=True,
                              config=args.config, steps=args.steps,
                              labels=args.labels, init=args.init,
                              shape_accuracy=accuracy.get('shape'),
                              color_accuracy=accuracy.get('colour'))),
               args.out)
    print(f'wrote {args.out} ({len(state)} tensors, copies: '
          f'{", ".join(backbone_prefixes(model))})')
    return dict(out=args.out, shape_accuracy=accuracy.get('shape'),
                color_accuracy=accuracy.get('colour'),
                prefixes=backbone_prefixes(model))


if __name__ == '__main__':
    main()
