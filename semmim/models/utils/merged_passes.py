"""Run one module once on several token batches instead of once per batch.

A training step of SemMIM calls the same encoder on several inputs (the
text encoder on the caption, the MLM-masked caption and the PLM prefix; the
fusion encoder on the ITM pairs, the MLM text and the prefix). One call on
their concatenation gives the same outputs, row for row, with fewer and
larger matrix multiplies, and each weight's gradient is computed once instead
of once per call and then summed.
"""
from typing import Callable, List, Sequence

import torch
import torch.nn.functional as F


def pad_tokens(x: torch.Tensor, length: int, value=0) -> torch.Tensor:
    """Right-pad dim 1 of ``x`` to ``length``."""
    extra = length - x.shape[1]
    if extra <= 0:
        return x
    pad = [0, 0] * (x.dim() - 2) + [0, extra]
    return F.pad(x, pad, value=value)


def merged_call(fn: Callable[..., torch.Tensor],
                groups: Sequence[Sequence[torch.Tensor]],
                merge: bool = True) -> List[torch.Tensor]:
    """``[fn(*g) for g in groups]``, computed by one call when ``merge``.

    Each group is ``(tokens, token_mask, *context)``: ``tokens`` ``(B_i,
    L_i, ...)``, ``token_mask`` ``(B_i, L_i)`` (1 = real token) and context
    tensors with ``B_i`` rows whose other dimensions agree across groups.
    Tokens and masks are right-padded to the longest ``L_i`` with masked
    positions, so for a module whose rows are independent and which ignores
    masked tokens (a BERT encoder, no batch statistics) the outputs are the
    separate calls' outputs, cut back to each ``L_i``.

    Returns:
        list[Tensor]: One output ``(B_i, L_i, ...)`` per group.
    """
    if not merge or len(groups) == 1:
        return [fn(*g) for g in groups]
    length = max(g[0].shape[1] for g in groups)
    rows = [g[0].shape[0] for g in groups]
    args = [torch.cat([pad_tokens(g[0], length) for g in groups]),
            torch.cat([pad_tokens(g[1], length) for g in groups])]
    for i in range(2, len(groups[0])):
        args.append(torch.cat([g[i] for g in groups]))
    out = fn(*args)
    return [part[:, :g[0].shape[1]]
            for part, g in zip(out.split(rows), groups)]
