"""Count a model's parameters by part (paper Table 8 style).

Builds the model of a config (no weight files needed) and prints, for each
top-level part, its trainable parameters, its frozen ones and the momentum
(EMA) copies. A parameter shared by two parts (tied embeddings) is counted
once, for the first part that owns it.

Example:
    python tools/analysis_tools/model_params.py configs/semmim/pretrain_4m.py
"""
import argparse
from collections import OrderedDict

import torch
from mmengine.config import Config, DictAction

import semmim  # noqa: F401
from semmim.registry import MODELS
from semmim.utils import register_all_modules

PAPER_TOTAL = 360e6  # SemMIM, paper Table 8 (mPLUG: 354M)


def _parts(model: torch.nn.Module):
    """``(name, module)`` of the model's children; a momentum copy of
    several modules (``momentum_towers.module`` is a ``ModuleDict``) is
    split into them, so each EMA copy sits beside what it copies."""
    for name, child in model.named_children():
        inner = getattr(child, 'module', None)
        if isinstance(inner, torch.nn.ModuleDict):
            for key, module in inner.items():
                yield f'{name}.{key}', module
            # anything the wrapper holds besides the copies (none today)
            rest = [m for n, m in child.named_children() if n != 'module']
            if rest:
                yield name, torch.nn.ModuleList(rest)
        else:
            yield name, child


def count_by_part(model: torch.nn.Module) -> 'OrderedDict[str, dict]':
    """``{part: {'trainable', 'frozen'}}`` with shared tensors once."""
    seen = set()
    parts = OrderedDict()
    for name, child in _parts(model):
        stats = dict(trainable=0, frozen=0)
        for p in child.parameters():
            if id(p) in seen:
                continue
            seen.add(id(p))
            stats['trainable' if p.requires_grad else 'frozen'] += p.numel()
        parts[name] = stats
    return parts


def format_table(parts, reference: float = None) -> str:
    rows = [f'{"part":<32}{"trainable":>14}{"frozen / EMA":>16}']
    rows.append('-' * len(rows[0]))
    total_t = total_f = 0
    for name, s in parts.items():
        if s['trainable'] == s['frozen'] == 0:
            continue
        rows.append(f'{name:<32}{s["trainable"] / 1e6:>13.2f}M'
                    f'{s["frozen"] / 1e6:>15.2f}M')
        total_t += s['trainable']
        total_f += s['frozen']
    rows.append('-' * len(rows[0]))
    rows.append(f'{"total":<32}{total_t / 1e6:>13.2f}M{total_f / 1e6:>15.2f}M')
    if reference:
        rows.append(f'paper (Table 8): {reference / 1e6:.0f}M trainable; ours '
                    f'{100 * (total_t - reference) / reference:+.1f}%')
    return '\n'.join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    parts = count_by_part(model)
    ref = PAPER_TOTAL if cfg.model.get('type') == 'SemMIM' and \
        'pretrain_4m' in args.config else None
    print(f'{args.config}: {type(model).__name__}')
    print(format_table(parts, ref))
    return parts


if __name__ == '__main__':
    main()
