"""Count floating-point operations of SemMIM models, attention included.

Counting uses PyTorch's ``torch.utils.flop_counter.FlopCounterMode``: it
sees every aten call (forward and backward), so one real training step of
``SemMIM.loss`` counts all passes, momentum ones included. MMEngine's
counter (``mmengine.analysis``, fvcore's) is not used because it skips
``scaled_dot_product_attention``, which all our encoders call, and traces
forwards only (:func:`mmengine_flop_analyzer` adds the missing handle for
those who want MMEngine's tables).

Conventions (stated once, used everywhere):

* 1 multiply-add = 2 FLOPs (``mm`` of ``(m, k) x (k, n)`` = ``2mnk``); only
  matrix products, convolutions and attention are counted (norms,
  activations, softmax and element-wise ops are left out, as usual).
* Attention ``softmax(QK^T)V`` with ``Q`` ``(B, H, Lq, D)`` and ``K, V``
  ``(B, H, Lk, D)``: ``4 * B * H * Lq * Lk * D`` forward; backward twice
  that (the four products giving dQ, dK, dV and dP). PyTorch's own table
  counts a fifth product for the GPU kernels (they recompute ``QK^T``) and
  has no entry for the CPU kernel (``_scaled_dot_product_flash_attention_
  for_cpu``), so without the mapping below CPU counts miss attention
  entirely; the mapping makes the count the same on every device.
* Activation checkpointing re-runs forwards during the backward; those
  are counted if the model was built with it (``with_cp``), so count with
  it off for model FLOPs (:func:`build_for_counting` does).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import torch
from torch.utils.flop_counter import FlopCounterMode

aten = torch.ops.aten


def attention_flops(query_shape, key_shape, value_shape) -> int:
    """Forward FLOPs of ``softmax(Q K^T) V``: ``2 B H Lq Lk (D + Dv)``.

    Shapes are ``(B, H, L, D)``; key/value heads may be fewer than query
    heads (grouped-query attention broadcasts them).
    """
    b, h, lq, d = query_shape
    lk, dv = key_shape[-2], value_shape[-1]
    return 2 * b * h * lq * lk * d + 2 * b * h * lq * lk * dv


def attention_backward_flops(query_shape, key_shape, value_shape) -> int:
    """Backward FLOPs of attention: twice the forward (dP = dO V^T,
    dV = P^T dO, dQ = dS K, dK = dS^T Q), no recomputation."""
    return 2 * attention_flops(query_shape, key_shape, value_shape)


def _sdpa_forward(query, key, value, *args, out_shape=None, **kwargs):
    return attention_flops(query, key, value)


def _sdpa_backward(grad_out, query, key, value, *args, out_shape=None,
                   **kwargs):
    return attention_backward_flops(query, key, value)


def _attention_ops():
    """``{op: formula}`` for every fused attention kernel this PyTorch has."""
    forward = ('_scaled_dot_product_flash_attention_for_cpu',
               '_scaled_dot_product_flash_attention',
               '_scaled_dot_product_efficient_attention',
               '_scaled_dot_product_cudnn_attention')
    mapping = {}
    for name in forward:
        if hasattr(aten, name):
            mapping[getattr(aten, name)] = _sdpa_forward
        if hasattr(aten, name + '_backward'):
            mapping[getattr(aten, name + '_backward')] = _sdpa_backward
    return mapping


def _sdpa_macs_jit(inputs, outputs) -> int:
    """MMEngine (fvcore) handle of ``aten::scaled_dot_product_attention``:
    multiply-adds of ``Q K^T`` and ``P V`` (fvcore counts 1 MAC as 1)."""
    from mmengine.analysis.jit_handles import get_shape
    query, key, value = (get_shape(v) for v in inputs[:3])
    *batch, lq, d = query
    n = 1
    for dim in batch:
        n *= dim
    return n * lq * key[-2] * (d + value[-1])


def mmengine_flop_analyzer(model: torch.nn.Module, inputs):
    """MMEngine's ``FlopAnalyzer`` with attention counted.

    MMEngine's counter (fvcore's, by JIT trace) has no handle for
    ``aten::scaled_dot_product_attention`` and lists it under
    ``unsupported_ops()``: every transformer is undercounted by its
    attention. This adds the handle. The analyzer counts multiply-adds
    (half of this module's FLOPs) and, unlike :class:`FlopCounter`, also
    norms and some element-wise ops; it traces a forward only, so training
    steps (backward, momentum passes) are counted with
    :func:`training_step_flops` instead.

    Args:
        model (nn.Module): Traced with ``inputs``.
        inputs (tuple): Positional inputs of ``model.forward``.

    Returns:
        mmengine.analysis.FlopAnalyzer: call ``.total()``,
        ``.by_operator()``, ``.by_module()``.
    """
    from mmengine.analysis import FlopAnalyzer
    analyzer = FlopAnalyzer(model, inputs)
    return analyzer.set_op_handle(
        'aten::scaled_dot_product_attention', _sdpa_macs_jit)


class FlopCounter(FlopCounterMode):
    """PyTorch's ``FlopCounterMode`` with this module's attention formulas,
    module paths taken from a model, and FLOPs split by part.

    Each counted op goes to exactly one part: the innermost of ``parts``
    among the modules whose forward is running. Summing
    FlopCounterMode's per-module totals instead would miss ops of a part
    whose forward is not called (the momentum encoder runs through
    ``forward_trunk``; its text-injected layer computes attention inside a
    helper, under no layer) and double-count modules run both ways.

    Args:
        model (nn.Module, optional): Name its modules by their path in it
            (``SemMIM.momentum_vision.module.backbone``...); without it,
            modules called outside a traced parent's forward are named by
            their class, so the online and momentum encoders share a name.
        parts (list[str], optional): Module paths to split FLOPs by
            (default: :func:`top_level_parts` of ``model``). Ops under none
            of them are counted as ``'(other)'``.
        display (bool): Print PyTorch's table on exit. Defaults to False.
    """

    def __init__(self, model: Optional[torch.nn.Module] = None,
                 parts: Optional[list] = None, display: bool = False):
        super().__init__(display=display, custom_mapping=_attention_ops())
        if parts is None and model is not None:
            parts = top_level_parts(model)
        # longest first, so the innermost matching part wins
        self.part_names = sorted(parts or [], key=len, reverse=True)
        self.part_counts: Dict[str, int] = defaultdict(int)
        if model is not None:
            known = getattr(getattr(self, 'mod_tracker', None),
                            '_known_modules', None)
            if known is not None:  # private table: skip if PyTorch drops it
                root = type(model).__name__
                for name, module in model.named_modules():
                    known[module] = f'{root}.{name}' if name else root

    def _part_of(self, parents) -> str:
        for part in self.part_names:
            for par in parents:
                if par == part or par.startswith(part + '.'):
                    return part.split('.', 1)[-1]
        return '(other)'

    def _count_flops(self, func_packet, out, args, kwargs):
        if func_packet in self.flop_registry:
            n = self.flop_registry[func_packet](*args, **kwargs, out_val=out)
            for par in set(self.mod_tracker.parents):
                self.flop_counts[par][func_packet] += n
            self.part_counts[self._part_of(self.mod_tracker.parents)] += n
        return out


def flop_counter(model: Optional[torch.nn.Module] = None,
                 display: bool = False) -> FlopCounter:
    """A :class:`FlopCounter` (see there)."""
    return FlopCounter(model, display=display)


@dataclass
class FlopCount:
    """FLOPs of one measured call.

    Attributes:
        total (int): All FLOPs.
        by_op (dict): ``{aten op: FLOPs}``.
        by_part (dict): ``{part: FLOPs}`` (see :class:`FlopCounter`);
            empty when the counter had no parts.
    """
    total: int = 0
    by_op: Dict[str, int] = field(default_factory=dict)
    by_part: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_counter(cls, counter: FlopCounterMode,
                     minus: Optional['FlopCount'] = None) -> 'FlopCount':
        """Read a counter (less an earlier reading ``minus`` of it)."""
        by_op = defaultdict(int)
        for op, n in counter.get_flop_counts().get('Global', {}).items():
            by_op[str(op).replace('aten.', '')] += n
        parts = dict(getattr(counter, 'part_counts', {}))
        if getattr(counter, 'part_names', None) == []:
            parts = {}
        now = cls(counter.get_total_flops(), dict(by_op), parts)
        if minus is None:
            return now
        return cls(now.total - minus.total,
                   _subtract(now.by_op, minus.by_op),
                   _subtract(now.by_part, minus.by_part))

    def __add__(self, other: 'FlopCount') -> 'FlopCount':
        def merge(a, b):
            out = dict(a)
            for k, v in b.items():
                out[k] = out.get(k, 0) + v
            return out
        return FlopCount(self.total + other.total,
                         merge(self.by_op, other.by_op),
                         merge(self.by_part, other.by_part))


def _subtract(a: Dict[str, int], b: Dict[str, int]) -> Dict[str, int]:
    out = {k: v - b.get(k, 0) for k, v in a.items()}
    return {k: v for k, v in out.items() if v}


def count_flops(fn: Callable, *args, model: Optional[torch.nn.Module] = None,
                **kwargs) -> Tuple[Any, FlopCount]:
    """Run ``fn(*args, **kwargs)`` and count its FLOPs.

    Args:
        fn (Callable): What to run.
        model (nn.Module, optional): Names modules by their path in it
            (see :func:`flop_counter`).

    Returns:
        tuple: ``fn``'s result and its :class:`FlopCount`.
    """
    with FlopCounter(model) as counter:
        result = fn(*args, **kwargs)
    return result, FlopCount.from_counter(counter)


def training_step_flops(model: torch.nn.Module, inputs: dict,
                        data_samples=None, seed: int = 0
                        ) -> Dict[str, FlopCount]:
    """FLOPs of one training step: ``model(inputs, mode='loss')`` with all
    its passes (momentum ones included), and the backward of the summed
    losses. No optimizer step is taken (its FLOPs are element-wise); the
    model's buffers (queues, centres) are updated as in training.

    The step draws random masks, MLM tokens and PLM split points, which
    change the count a little between steps; the draw is seeded (without
    touching the global RNG) so the count is reproducible.

    Returns:
        dict: ``forward``, ``backward`` and ``total`` :class:`FlopCount`.
        Only the forward is split by part (:func:`top_level_parts`):
        PyTorch's module tracker does not know which module a backward op
        belongs to reliably (tied weights, modules run outside their
        parent's forward), so ``backward`` and ``total`` have no split.
    """
    model.train()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with FlopCounter(model) as counter:
            losses = model(inputs, data_samples, mode='loss')
            forward = FlopCount.from_counter(counter)
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            loss.backward()
    model.zero_grad(set_to_none=True)
    total = FlopCount.from_counter(counter)
    backward = FlopCount.from_counter(counter, minus=forward)
    total.by_part = backward.by_part = {}
    return dict(forward=forward, backward=backward, total=total)


def count_training_flops(model: torch.nn.Module, batch: dict,
                         seed: int = 0) -> float:
    """Total FLOPs (forward + backward) of one training step on a raw
    dataloader ``batch`` (it goes through the model's data preprocessor
    first); for throughput benchmarks that report achieved FLOP/s."""
    data = model.data_preprocessor(batch, True)
    step = training_step_flops(model, data['inputs'],
                               data.get('data_samples'), seed)
    return float(step['total'].total)


def top_level_parts(model: torch.nn.Module) -> list:
    """Module paths of the parts of a model for :meth:`FlopCount.parts`:
    its children, with momentum copies split into their modules."""
    root = type(model).__name__
    names = []
    for name, child in model.named_children():
        inner = getattr(child, 'module', None)
        if isinstance(inner, torch.nn.ModuleDict):
            names += [f'{root}.{name}.module.{k}' for k in inner.keys()]
        else:
            names.append(f'{root}.{name}')
    return names


def build_for_counting(cfg, with_cp: bool = False):
    """Build ``cfg.model`` for counting: random weights (no init or
    pretrained files read), activation checkpointing off unless asked."""
    import copy

    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    register_all_modules()
    model_cfg = copy.deepcopy(cfg.model)
    if not with_cp:
        _set_key(model_cfg, 'with_cp', False)
    model = MODELS.build(model_cfg)
    for ema in getattr(model, 'momentum_modules', dict)().values():
        ema.total_steps = ema.total_steps or 1
    return model


def _set_key(cfg, key: str, value) -> None:
    """Set ``key`` wherever it appears in a nested config."""
    if isinstance(cfg, dict):
        for k in list(cfg.keys()):
            if k == key:
                cfg[k] = value
            else:
                _set_key(cfg[k], key, value)
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            _set_key(item, key, value)


def format_flops(n: float) -> str:
    """``123.4 GFLOPs``-style string."""
    for unit, scale in (('T', 1e12), ('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if abs(n) >= scale:
            return f'{n / scale:.2f} {unit}FLOPs'
    return f'{n:.0f} FLOPs'


# ----------------------------------------------------------------------
# inputs and per-task measurements
# ----------------------------------------------------------------------
def image_size(model) -> int:
    """Input side in pixels of ``model.vision_backbone``."""
    backbone = model.vision_backbone
    patch = backbone.patch_embed.projection.kernel_size[0]
    return backbone.patch_resolution[0] * patch


def dummy_images(model, batch_size: int, seed: int = 0) -> torch.Tensor:
    """Normalised random images ``(B, 3, H, W)`` at the model's size."""
    g = torch.Generator().manual_seed(seed)
    size = image_size(model)
    device = model.data_preprocessor.device
    return torch.randn(batch_size, 3, size, size, generator=g).to(device)


def dummy_text(model, batch_size: int, length: Optional[int] = None,
               seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random token ids ``(B, L)`` ([CLS] ... [SEP], no padding) and mask.

    ``length`` defaults to the preprocessor's ``max_length`` (the longest
    text the model sees, so counts are an upper bound for real captions).
    """
    tok = model.tokenizer
    length = length or model.data_preprocessor.max_length
    g = torch.Generator().manual_seed(seed)
    # words only: BERT's vocabulary has its specials and [unused] tokens
    # below 1000; a fitted one (fit_word_vocab) has its specials first
    low = 1000 if tok.vocab_size > 1000 else max(tok.all_special_ids) + 1
    ids = torch.randint(low, tok.vocab_size, (batch_size, length),
                        generator=g)
    ids[:, 0] = tok.cls_token_id
    ids[:, -1] = tok.sep_token_id
    device = model.data_preprocessor.device
    return ids.to(device), torch.ones_like(ids).to(device)


def pretrain_inputs(model, batch_size: int = 2,
                    text_length: Optional[int] = None) -> dict:
    """Inputs of ``SemMIM.loss``: two views and tokenised captions."""
    ids, mask = dummy_text(model, batch_size, text_length)
    return dict(images=[dummy_images(model, batch_size, 0),
                        dummy_images(model, batch_size, 1)],
                text_ids=ids, text_mask=mask)


@torch.no_grad()
def inference_flops(model, batch_size: int = 1,
                    text_length: Optional[int] = None
                    ) -> Dict[str, FlopCount]:
    """FLOPs of the inference calls of a model, by its task.

    * ``SemMIM`` (pre-training; zero-shot retrieval): ``image_feature``
      (image encoder + ITC projection), ``text_feature``.
    * ``SemMIMRetrieval``: ``image_feature`` and ``text_feature`` (the ITC
      stage, once per image / text) and ``itm_pair`` (one re-ranked
      image-text pair through the fusion encoder and ITM head).
    * ``SemMIMCaption``: ``encode_image`` and ``generate``: beam search
      run to ``max_length`` (``min_length`` raised to it, so every step
      runs: an upper bound), plus ``beam_step`` = generation / steps.
    * ``SemMIMVQA``: ``encode`` (image + question through the fusion
      encoder) and ``generate_answer`` (beam search run to ``max_length``;
      ``answer_step`` per step).

    Args:
        model: The model, in eval mode after this call.
        batch_size (int): Samples per call; the counts are for the whole
            call (divide by ``batch_size`` for one sample). Defaults to 1.
        text_length (int, optional): Tokens per text. Defaults to the
            preprocessor's ``max_length``.

    Returns:
        dict: ``{name: FlopCount}``.
    """
    model.eval()
    kind = type(model).__name__
    B = batch_size
    out = {}
    if kind in ('SemMIM', 'SemMIMRetrieval'):
        images = dummy_images(model, B)
        ids, mask = dummy_text(model, B, text_length)
        image, out['image_feature'] = count_flops(
            lambda: model.vision_backbone(images)[0])
        _, proj = count_flops(model.itc_head.project_image, image[:, 0])
        out['image_feature'] = out['image_feature'] + proj
        text, out['text_feature'] = count_flops(model.text_encoder, ids, mask)
        _, proj = count_flops(model.itc_head.project_text, text[:, 0])
        out['text_feature'] = out['text_feature'] + proj
        if kind == 'SemMIMRetrieval' and model.itm_head is not None:
            image_embeds = model.fusion_encoder.adapt_image(image)
            _, out['itm_pair'] = count_flops(
                model.itm_scores, image_embeds, text, mask)
            _, adapt = count_flops(model.fusion_encoder.adapt_image, image)
            out['image_feature'] = out['image_feature'] + adapt
    elif kind == 'SemMIMCaption':
        images = dummy_images(model, B)
        context, out['encode_image'] = count_flops(
            model.encode_image, images)
        steps = model.generation_cfg['max_length']
        _, out['generate'] = count_flops(
            model.generate, context, min_length=steps)
        out['beam_step'] = _per_step(out['generate'], steps)
    elif kind == 'SemMIMVQA':
        images = dummy_images(model, B)
        ids, mask = dummy_text(model, B, text_length)
        inputs = dict(images=images, question_ids=ids, question_mask=mask)
        (context, cmask), out['encode'] = count_flops(model.encode, inputs)
        saved = dict(model.gen_kwargs)
        # max_length counts the [CLS] start token, as in transformers
        model.gen_kwargs = dict(saved, min_length=model.max_length)
        try:
            _, out['generate_answer'] = count_flops(
                model.generate_answers, context, cmask)
        finally:
            model.gen_kwargs = saved
        out['answer_step'] = _per_step(out['generate_answer'],
                                       model.max_length - 1)
    else:
        raise TypeError(f'no inference FLOPs recipe for {kind}')
    return out


def _per_step(count: FlopCount, steps: int) -> FlopCount:
    return FlopCount(total=count.total // max(1, steps))
