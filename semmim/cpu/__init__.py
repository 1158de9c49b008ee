"""Speed-ups for training and testing on CPUs, in one place.

None of them changes what a model computes; each is switched on by a
setting, and the measurements behind them are in ``docs/benchmarks.md``:

* :func:`keep_freed_memory` (:mod:`.malloc`): glibc keeps freed memory for
  the next step instead of unmapping it (1.2x on the full-size CPU step).
  On with ``env_cfg.keep_freed_cpu_memory=True`` in the runtime config
  (``configs/_base_/default_runtime.py`` sets it; ``tools/train.py`` and
  ``tools/test.py`` apply it through ``prepare_cfg``).
* :func:`cpu_bf16_speedup` and :func:`matmul_peak` (:mod:`.bf16`): whether
  bf16 matmuls beat fp32 on this CPU (AMX); ``tools/train.py --amp`` asks
  before it trains with bf16 autocast on a CPU, and refuses where bf16 is
  emulated.
* :class:`FastQuickGELU` (:mod:`.activations`): CLIP's QuickGELU through
  the fused SiLU kernel. The SemMIM ViT's default activation
  (``layer_cfgs=dict(act_cfg=dict(type='FastQuickGELU'))``); the same
  function as mmpretrain's ``QuickGELU`` to round-off, which
  ``act_cfg=dict(type='QuickGELU')`` selects instead.
* :class:`CompileBlocksHook` and :func:`compile_blocks`
  (:mod:`.compile_blocks`): ``torch.compile`` the transformer blocks;
  ``custom_hooks`` in a config or ``tools/train.py --compile``.
"""
from .activations import FastQuickGELU
from .bf16 import cpu_bf16_speedup, matmul_peak
from .compile_blocks import CompileBlocksHook, compile_blocks
from .malloc import keep_freed_memory, mmapped_bytes

__all__ = [
    'CompileBlocksHook', 'FastQuickGELU', 'compile_blocks',
    'cpu_bf16_speedup', 'keep_freed_memory', 'matmul_peak', 'mmapped_bytes'
]
