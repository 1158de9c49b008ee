"""Building blocks shared by the BERT towers (transformers' BERT, wrapped)."""
import os.path as osp

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
        return torch.load(bin_file, map_location='cpu', weights_only=True)
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
