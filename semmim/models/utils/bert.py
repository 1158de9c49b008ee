"""Building blocks shared by the BERT towers (transformers' BERT, wrapped)."""
import os.path as osp
from contextlib import contextmanager
from typing import Iterable, Iterator, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from transformers import BertConfig

from semmim.utils import resolve_path
from .checkpoint_converters import normalize_hf_bert

#: bert-base-uncased, as the towers of the paper use it.
BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_attention_heads=12,
    intermediate_size=3072,
    hidden_act='gelu',
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.1,
    max_position_embeddings=512,
    type_vocab_size=2,
    initializer_range=0.02,
    layer_norm_eps=1e-12,
    pad_token_id=0,
)


class RowIndexedLinear(nn.Linear):
    """``nn.Linear`` whose output rows can be picked from its input rows.

    With ``rows`` set (a ``(B,)`` index), ``forward(x)`` is
    ``linear(x)[rows]``: the projection runs once per distinct input row and
    is then shared. The fusion encoder and the decoder put these in place
    of each cross-attention's key and value projections
    (:func:`index_cross_attention`), so a context that several rows attend
    to (an image for its ITM pairs, MLM text and prefix; a VQA question for
    its answers) has its keys and values computed once. Parameter names are
    ``nn.Linear``'s, so checkpoints are unchanged.
    """

    rows: Optional[torch.Tensor] = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        return out if self.rows is None else out.index_select(0, self.rows)

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> 'RowIndexedLinear':
        # skip_init: no random initialisation, so building the encoder
        # draws the same random numbers as plain BertLayers do
        new = nn.utils.skip_init(cls, linear.in_features, linear.out_features,
                                 bias=linear.bias is not None,
                                 device=linear.weight.device,
                                 dtype=linear.weight.dtype)
        new.weight, new.bias = linear.weight, linear.bias
        # transformers marks the modules it has initialised; its
        # init_weights() (which MMEngine's calls) re-draws unmarked ones
        if getattr(linear, '_is_hf_initialized', False):
            new._is_hf_initialized = True
        return new


def index_cross_attention(layers: Iterable[nn.Module]) -> None:
    """Make the cross-attention key and value projections of transformers'
    ``BertLayer``s :class:`RowIndexedLinear` (same parameters, no random
    draws), so :func:`cross_attention_rows` can share them across rows."""
    for layer in layers:
        cross = layer.crossattention.self
        cross.key = RowIndexedLinear.from_linear(cross.key)
        cross.value = RowIndexedLinear.from_linear(cross.value)


def distinct_contexts(context: torch.Tensor, index: torch.Tensor
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The rows of ``context`` that ``index`` uses, once each, and the index
    into them: ``context[index] == out[rows]``. Unused rows (other ranks'
    images that no ITM pair drew, test images outside a re-rank batch) get
    no keys or values computed."""
    distinct, rows = index.unique(return_inverse=True)
    return context.index_select(0, distinct), rows


@contextmanager
def cross_attention_rows(layers: Iterable[nn.Module],
                         rows: Optional[torch.Tensor]) -> Iterator[None]:
    """Within the block, row ``b`` of the queries of these layers'
    cross-attention sees context ``rows[b]`` (keys and values computed once
    per context row); nothing changes when ``rows`` is None."""
    projections = [p for layer in layers for p in (
        layer.crossattention.self.key, layer.crossattention.self.value)]
    for p in projections:
        p.rows = rows
    try:
        yield
    finally:
        for p in projections:
            p.rows = None


def make_bert_config(num_layers: int, bert_cfg: dict = None,
                     **overrides) -> BertConfig:
    """A ``BertConfig`` from bert-base defaults, ``bert_cfg`` and overrides.

    Attention runs through ``scaled_dot_product_attention`` ('sdpa').
    """
    kwargs = dict(BERT_BASE)
    kwargs.update(bert_cfg or {})
    kwargs.update(overrides)
    kwargs['num_hidden_layers'] = num_layers
    config = BertConfig(**kwargs)
    config._attn_implementation = 'sdpa'
    return config


@torch.no_grad()
def init_bert_weights(module: nn.Module, std: float = 0.02) -> None:
    """BERT's initialisation (as ``BertPreTrainedModel._init_weights``)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            m.weight.normal_(0.0, std)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.Embedding):
            m.weight.normal_(0.0, std)
            if m.padding_idx is not None:
                m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            m.weight.fill_(1.0)
            m.bias.zero_()


def extended_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``(B, S)`` 1/0 padding mask -> additive ``(B, 1, 1, S)`` mask."""
    mask = mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * torch.finfo(dtype).min


def read_hf_state_dict(path: str) -> dict:
    """The state dict of a local Hugging Face model directory."""
    path = resolve_path(path)
    st = osp.join(path, 'model.safetensors')
    if osp.isfile(st):
        from safetensors.torch import load_file
        return load_file(st)
    bin_file = osp.join(path, 'pytorch_model.bin')
    if osp.isfile(bin_file):
        from semmim.utils.checkpoint_io import load_checkpoint_file
        return load_checkpoint_file(bin_file)  # weights only
    raise FileNotFoundError(f'{path}: no model.safetensors or '
                            'pytorch_model.bin (a local Hugging Face BERT '
                            'directory is expected)')


def load_hf_bert_weights(bert: nn.Module, path: str, prefix: str = '') -> None:
    """Load a Hugging Face BERT (``BertModel`` or ``BertFor*`` keys, legacy
    ``LayerNorm.gamma/beta`` names too) into a ``BertModel`` with possibly
    fewer layers; report what did not load."""
    state, _ = normalize_hf_bert(read_hf_state_dict(path))
    own = bert.state_dict()
    loaded = {k: v for k, v in state.items()
              if k in own and own[k].shape == v.shape}
    missing = sorted(set(own) - set(loaded))
    bert.load_state_dict(loaded, strict=False)
    logger = MMLogger.get_current_instance()
    logger.info(f'loaded {len(loaded)} tensors of {path} into the BERT '
                f'tower; not in the file: {missing or "none"}')
