"""``torch.compile`` the transformer blocks of a model, in place."""
from typing import Sequence

import torch.nn as nn
from mmengine.hooks import Hook

from semmim.engine.hooks.momentum_update_hook import unwrap
from semmim.registry import HOOKS

#: the repeated blocks of every SemMIM model: mmpretrain's ViT layer and
#: transformers' BERT layer (text, fusion and decoder towers alike)
BLOCK_TYPES = ('TransformerEncoderLayer', 'BertLayer')


def compile_blocks(model: nn.Module,
                   block_types: Sequence[str] = BLOCK_TYPES,
                   recompile_limit: int = 64,
                   **compile_kwargs) -> int:
    """Compile each block of ``model`` whose class name is in
    ``block_types`` with ``nn.Module.compile`` and return how many.

    Compiling blocks rather than the whole model keeps the algorithm's
    Python (masking, queues, several passes with different inputs) out of
    the graphs: each block is one small graph, the same code for all its
    copies, momentum copies included. Inductor fuses a block's elementwise
    work (layer norms, GELU, residual adds, dropout) into few kernels, which
    is where an unfused step spends a third of its time. ``Module.compile``
    keeps parameter names, so checkpoints are unchanged.

    One block class serves many call sites: a BERT layer runs with and
    without gradients (online and momentum towers), with and without
    cross-attention (text, fusion, decoder), at several text lengths. Each
    is a guard failure and a new graph; past Dynamo's default limit of 8 the
    rest silently run eager, so ``recompile_limit`` (a global Dynamo
    setting) is raised to at least 64. Shapes are dynamic by default
    (``dynamic=True``): on the tiny test model that means 12 graphs in the
    first step and no recompilation after it, against recompilations in
    later steps with Dynamo's default.
    """
    import torch._dynamo
    torch._dynamo.config.recompile_limit = max(
        torch._dynamo.config.recompile_limit, recompile_limit)
    # text lengths change every step (random MLM masks and prefix splits):
    # with Dynamo's default, each new length of each call site recompiles a
    # block, for many steps; dynamic shapes from the start compile each
    # call site once
    compile_kwargs.setdefault('dynamic', True)
    count = 0
    for module in model.modules():
        if type(module).__name__ in block_types:
            module.compile(**compile_kwargs)
            count += 1
    return count


@HOOKS.register_module()
class CompileBlocksHook(Hook):
    """Compile the model's transformer blocks before training starts
    (``tools/train.py --compile`` adds this hook).

    The first iterations are slow while each block compiles (minutes on a
    CPU); ``benchmark_train.py --compile`` measures what it pays back.

    Args:
        block_types (Sequence[str]): Class names to compile.
        **compile_kwargs: ``torch.compile`` arguments (``mode``,
            ``dynamic``, ...).
    """

    priority = 'VERY_LOW'

    def __init__(self, block_types: Sequence[str] = BLOCK_TYPES,
                 **compile_kwargs):
        self.block_types = tuple(block_types)
        self.compile_kwargs = compile_kwargs

    def before_train(self, runner) -> None:
        n = compile_blocks(unwrap(runner.model), self.block_types,
                           **self.compile_kwargs)
        runner.logger.info(f'CompileBlocksHook: compiling {n} blocks '
                           f'({", ".join(self.block_types)}); the first '
                           'iterations include the compilation')
