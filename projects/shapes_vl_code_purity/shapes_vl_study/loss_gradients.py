"""Which loss trains which part of the model.

For a few training batches, the gradient of every ``loss*`` term of the
model's loss dict is taken separately on the parameters of one submodule
(e.g. ``vision_backbone``). Reported per loss: its value, the norm of its
gradient, and the cosine of its gradient with the summed gradient (the
direction the optimiser is pushed). A loss whose gradient is small next to
the others', or orthogonal to their sum, hardly trains that part, however
much it matters for the task.
"""
from typing import Dict, Iterable

import torch


def loss_gradients(model, batches: Iterable[dict],
                   module: str) -> Dict[str, Dict[str, float]]:
    """Per-loss gradient statistics on ``model.<module>``, averaged over
    ``batches``.

    Args:
        model: An MMEngine model (``data_preprocessor``, ``mode='loss'``).
        batches (Iterable[dict]): Data batches as a dataloader yields them.
        module (str): Dotted submodule name whose parameters are measured.

    Returns:
        dict: loss name -> ``loss`` (value), ``grad_norm`` and
        ``cos_total`` (cosine with the sum of all the losses' gradients).
    """
    params = [p for p in model.get_submodule(module).parameters()
              if p.requires_grad]
    if not params:
        raise ValueError(f'{module}: no trainable parameters')
    sums: Dict[str, Dict[str, float]] = {}
    count = 0
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        names = [k for k, v in losses.items() if k.startswith('loss')
                 and torch.is_tensor(v) and v.requires_grad]
        grads = {}
        for name in names:
            parts = torch.autograd.grad(losses[name], params,
                                        retain_graph=True, allow_unused=True)
            grads[name] = torch.cat([
                (g if g is not None else torch.zeros_like(p)).flatten()
                for g, p in zip(parts, params)]).double()
        total = sum(grads.values())
        for name in names:
            norm = grads[name].norm()
            cos = 0.0
            if norm > 0 and total.norm() > 0:
                cos = float(grads[name] @ total / (norm * total.norm()))
            entry = sums.setdefault(
                name, dict(loss=0.0, grad_norm=0.0, cos_total=0.0))
            entry['loss'] += float(losses[name].detach())
            entry['grad_norm'] += float(norm)
            entry['cos_total'] += cos
        count += 1
    if not count:
        raise ValueError('no batch')
    return {name: {k: v / count for k, v in entry.items()}
            for name, entry in sums.items()}


def format_loss_gradients(stats: Dict[str, Dict[str, float]],
                          module: str) -> str:
    total = sum(s['grad_norm'] for s in stats.values()) or 1.0
    rows = [f'gradient of each loss on {module}:',
            f'  {"loss":<14}{"value":>9}{"|grad|":>12}{"share":>8}'
            f'{"cos(sum)":>10}']
    for name, s in sorted(stats.items(), key=lambda kv: -kv[1]['grad_norm']):
        rows.append(f'  {name:<14}{s["loss"]:>9.4f}{s["grad_norm"]:>12.4g}'
                    f'{s["grad_norm"] / total:>8.3f}{s["cos_total"]:>+10.3f}')
    return '\n'.join(rows)
