"""Convert CLIP and BERT checkpoints into the state dicts of SemMIM's parts.

Pure functions on state dicts: nothing here builds a model or touches the
network. The command-line wrappers are ``tools/model_converters/
clip_to_semmim.py`` and ``bert_to_semmim.py``; the file format they write
and how configs read it are described in ``docs/pretrained_weights.md``.

Output keys are those of a whole :class:`SemMIM` model, i.e. prefixed by the
part they initialise (``vision_backbone.``, ``text_encoder.``,
``fusion_encoder.``, ``mlm_head.``, ``plm_head.decoder.``). A part reads its
own keys with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)``.
"""
import json
import os
import os.path as osp
import re
import zipfile
from typing import Dict, List, Optional, Tuple

import torch

from semmim.utils import resolve_path

StateDict = Dict[str, torch.Tensor]

#: Key prefixes of the SemMIM parts in a converted checkpoint.
VISION_PREFIX = 'vision_backbone.'
TEXT_PREFIX = 'text_encoder.'
FUSION_PREFIX = 'fusion_encoder.'
DECODER_PREFIX = 'plm_head.decoder.'
MLM_PREFIX = 'mlm_head.'

#: Wrappers around a state dict seen in training checkpoints.
_WRAPPER_KEYS = ('state_dict', 'model', 'module', 'model_state_dict')


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------
def _is_torchscript(path: str) -> bool:
    """TorchScript archives (OpenAI's ``ViT-B-16.pt``) hold compiled code."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(n.endswith('constants.pkl') or '/code/' in n
                   for n in zf.namelist())


def _read_hf_dir(path: str) -> StateDict:
    """All weights of a Hugging Face model directory (sharded or not)."""
    for name, loader in (('model.safetensors', 'st'),
                         ('pytorch_model.bin', 'pt')):
        single = osp.join(path, name)
        index = single + '.index.json'
        files = []
        if osp.isfile(single):
            files = [single]
        elif osp.isfile(index):
            with open(index) as f:
                shards = sorted(set(json.load(f)['weight_map'].values()))
            files = [osp.join(path, s) for s in shards]
        if files:
            state = {}
            for file in files:
                state.update(_read_file(file, loader))
            return state
    raise FileNotFoundError(
        f'{path}: a directory without model.safetensors or '
        'pytorch_model.bin (a Hugging Face model directory is expected)')


def _read_file(path: str, kind: str) -> dict:
    if kind == 'st':
        from safetensors.torch import load_file
        return load_file(path)
    from semmim.utils.checkpoint_io import load_checkpoint_file
    return load_checkpoint_file(path)  # weights only, one-line errors


def read_state_dict(path: str) -> StateDict:
    """Read the weights of a checkpoint in any of the supported layouts.

    Args:
        path (str): A Hugging Face model directory, a ``.safetensors`` file,
            a ``torch.save`` file (possibly wrapping the weights in
            ``state_dict``/``model``, with DDP's ``module.`` prefix, as
            open_clip's training checkpoints do) or a TorchScript archive
            (OpenAI's CLIP ``.pt`` files). ``pkg://`` paths are resolved.

    Returns:
        dict[str, Tensor]: Flat state dict, ``module.`` prefixes removed.
    """
    path = resolve_path(path)
    if osp.isdir(path):
        state = _read_hf_dir(path)
    elif not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file or directory')
    elif path.endswith('.safetensors'):
        state = _read_file(path, 'st')
    elif _is_torchscript(path):
        state = torch.jit.load(path, map_location='cpu').state_dict()
    else:
        state = _read_file(path, 'pt')
    for key in _WRAPPER_KEYS:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not state:
        raise ValueError(f'{path}: no state dict found')
    state = dict(state)
    if all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    return state


def _cast(state: StateDict, dtype: Optional[torch.dtype]) -> StateDict:
    """Floating tensors to ``dtype`` (OpenAI's archives are fp16). A tensor
    used under several keys stays one tensor (saved once)."""
    if dtype is None:
        return state
    done = {}
    out = {}
    for k, v in state.items():
        if id(v) not in done:
            done[id(v)] = v.to(dtype) if v.is_floating_point() else v
        out[k] = done[id(v)]
    return out


def _take(state: StateDict, prefix: str) -> StateDict:
    return {k[len(prefix):]: v for k, v in state.items()
            if k.startswith(prefix)}


def _layer_ids(keys, pattern: str) -> List[int]:
    found = {int(m.group(1)) for k in keys for m in [re.match(pattern, k)]
             if m}
    return sorted(found)


# ---------------------------------------------------------------------------
# CLIP ViT -> SemMIMVisionTransformer (mmpretrain ViT keys)
# ---------------------------------------------------------------------------
def detect_clip_format(state: StateDict) -> str:
    """'hf' (transformers' CLIP) or 'openai' (OpenAI's and open_clip's
    names, which are the same)."""
    if any('embeddings.patch_embedding.weight' in k for k in state):
        return 'hf'
    if any(k.endswith('conv1.weight') for k in state):
        if any('trunk.' in k for k in state):
            raise ValueError('this open_clip model has a timm vision tower '
                             '(visual.trunk.*); only the plain CLIP ViT '
                             'is supported')
        return 'openai'
    raise ValueError('not a CLIP ViT checkpoint: found neither '
                     'conv1.weight (OpenAI/open_clip) nor '
                     'embeddings.patch_embedding.weight (Hugging Face)')


def _check_all_used(state: StateDict, used: set, ignored: set,
                    fmt: str) -> None:
    left = sorted(set(state) - used - ignored)
    if left:
        raise ValueError(
            f'{len(left)} {fmt} CLIP vision keys have no counterpart in '
            f'SemMIMVisionTransformer (a CLIP variant this converter does '
            f'not know, e.g. layer scale or attention pooling): '
            f'{left[:8]}{" ..." if len(left) > 8 else ""}')


def convert_clip_openai(state: StateDict) -> Tuple[StateDict, List[str]]:
    """OpenAI / open_clip CLIP ViT -> our image encoder's state dict.

    Accepts a whole CLIP model (vision keys under ``visual.``; the text
    tower is ignored) or the vision tower alone. The vision->joint-space
    projection ``proj`` is dropped (SemMIM's ITC projections are new).

    Returns:
        tuple: state dict with mmpretrain ViT keys, and notes (what was
        dropped).
    """
    if any(k.startswith('visual.') for k in state):
        state = _take(state, 'visual.')
    out, used = {}, set()

    def put(src, dst, fn=None):
        out[dst] = fn(state[src]) if fn else state[src]
        used.add(src)

    put('conv1.weight', 'patch_embed.projection.weight')
    put('class_embedding', 'cls_token', lambda t: t.reshape(1, 1, -1))
    put('positional_embedding', 'pos_embed', lambda t: t.unsqueeze(0))
    for n in ('weight', 'bias'):
        put(f'ln_pre.{n}', f'pre_norm.{n}')
        put(f'ln_post.{n}', f'ln1.{n}')
    blocks = _layer_ids(state, r'transformer\.resblocks\.(\d+)\.')
    for i in blocks:
        src, dst = f'transformer.resblocks.{i}.', f'layers.{i}.'
        # in_proj packs q, k and v row-wise, exactly as mmpretrain's qkv
        put(src + 'attn.in_proj_weight', dst + 'attn.qkv.weight')
        put(src + 'attn.in_proj_bias', dst + 'attn.qkv.bias')
        for n in ('weight', 'bias'):
            put(src + f'attn.out_proj.{n}', dst + f'attn.proj.{n}')
            put(src + f'ln_1.{n}', dst + f'ln1.{n}')
            put(src + f'ln_2.{n}', dst + f'ln2.{n}')
            put(src + f'mlp.c_fc.{n}', dst + f'ffn.layers.0.0.{n}')
            put(src + f'mlp.c_proj.{n}', dst + f'ffn.layers.1.{n}')
    notes = [f'{len(blocks)} transformer blocks']
    ignored = set()
    if 'proj' in state:
        ignored.add('proj')
        notes.append('dropped proj (CLIP image projection '
                     f'{tuple(state["proj"].shape)}; not used by SemMIM)')
    _check_all_used(state, used, ignored, 'OpenAI/open_clip')
    return out, notes


def convert_clip_hf(state: StateDict) -> Tuple[StateDict, List[str]]:
    """Hugging Face ``CLIPVisionModel`` / ``CLIPModel`` -> our image
    encoder's state dict (q, k, v projections concatenated into ``qkv``)."""
    if any(k.startswith('vision_model.') for k in state):
        state = _take(state, 'vision_model.')
    out, used = {}, set()

    def put(src, dst, fn=None):
        out[dst] = fn(state[src]) if fn else state[src]
        used.add(src)

    put('embeddings.patch_embedding.weight', 'patch_embed.projection.weight')
    put('embeddings.class_embedding', 'cls_token',
        lambda t: t.reshape(1, 1, -1))
    put('embeddings.position_embedding.weight', 'pos_embed',
        lambda t: t.unsqueeze(0))
    for n in ('weight', 'bias'):
        put(f'pre_layrnorm.{n}', f'pre_norm.{n}')  # (sic) HF's spelling
        put(f'post_layernorm.{n}', f'ln1.{n}')
    layers = _layer_ids(state, r'encoder\.layers\.(\d+)\.')
    for i in layers:
        src, dst = f'encoder.layers.{i}.', f'layers.{i}.'
        for n in ('weight', 'bias'):
            qkv = [src + f'self_attn.{p}_proj.{n}' for p in 'qkv']
            out[dst + f'attn.qkv.{n}'] = torch.cat([state[k] for k in qkv])
            used.update(qkv)
            put(src + f'self_attn.out_proj.{n}', dst + f'attn.proj.{n}')
            put(src + f'layer_norm1.{n}', dst + f'ln1.{n}')
            put(src + f'layer_norm2.{n}', dst + f'ln2.{n}')
            put(src + f'mlp.fc1.{n}', dst + f'ffn.layers.0.0.{n}')
            put(src + f'mlp.fc2.{n}', dst + f'ffn.layers.1.{n}')
    notes = [f'{len(layers)} transformer layers']
    ignored = {k for k in state if k.endswith('position_ids')}
    _check_all_used(state, used, ignored, 'Hugging Face')
    return out, notes


def convert_clip(state: StateDict, fmt: str = 'auto',
                 dtype: Optional[torch.dtype] = torch.float32,
                 prefix: str = VISION_PREFIX) -> Tuple[StateDict, List[str]]:
    """Any supported CLIP ViT checkpoint -> SemMIM's image encoder.

    Args:
        state (dict): Weights from :func:`read_state_dict`.
        fmt (str): 'openai' (also open_clip), 'hf' or 'auto'.
        dtype (torch.dtype, optional): Cast floating tensors (OpenAI's
            archives are fp16). None keeps them. Defaults to float32.
        prefix (str): Prepended to every key. Defaults to
            ``'vision_backbone.'`` (the part's name in :class:`SemMIM`).

    Returns:
        tuple: converted state dict and notes.
    """
    if fmt == 'auto':
        fmt = detect_clip_format(state)
    converters = dict(openai=convert_clip_openai, hf=convert_clip_hf)
    if fmt not in converters:
        raise ValueError(f'fmt must be auto, openai or hf, not {fmt!r}')
    out, notes = converters[fmt](state)
    out = _cast(out, dtype)
    notes.insert(0, f'format: {fmt}')
    return {prefix + k: v for k, v in out.items()}, notes


# ---------------------------------------------------------------------------
# BERT -> text encoder, fusion encoder, decoder, MLM head
# ---------------------------------------------------------------------------
def normalize_hf_bert(state: StateDict) -> Tuple[StateDict, StateDict]:
    """Split a Hugging Face BERT state dict into ``BertModel`` keys and the
    MLM head (``cls.predictions.*``).

    Handles ``BertModel`` checkpoints (bare keys), ``BertFor*`` ones
    (``bert.`` prefix) and the legacy TensorFlow-era names of
    bert-base-uncased (``LayerNorm.gamma`` / ``LayerNorm.beta``). The pooler,
    the next-sentence head and the ``position_ids`` buffer are dropped.

    Returns:
        tuple: ``(bert, mlm)`` state dicts; ``mlm`` keys start with
        ``predictions.`` and it is empty when the file has no MLM head.
    """
    fixed = {}
    for k, v in state.items():
        k = re.sub(r'LayerNorm\.gamma$', 'LayerNorm.weight', k)
        k = re.sub(r'LayerNorm\.beta$', 'LayerNorm.bias', k)
        fixed[k] = v
    if any(k.startswith('bert.') for k in fixed):
        bert = _take(fixed, 'bert.')
    else:
        bert = {k: v for k, v in fixed.items()
                if k.startswith(('embeddings.', 'encoder.', 'pooler.'))}
    bert = {k: v for k, v in bert.items()
            if not k.startswith('pooler.') and not k.endswith('position_ids')}
    if 'embeddings.word_embeddings.weight' not in bert:
        raise ValueError('not a BERT checkpoint: no '
                         'embeddings.word_embeddings.weight')
    mlm = _take(fixed, 'cls.predictions.')
    mlm = {'predictions.' + k: v for k, v in mlm.items()}
    return bert, mlm


def num_bert_layers(bert: StateDict) -> int:
    """Number of transformer layers in a ``BertModel`` state dict."""
    return len(_layer_ids(bert, r'encoder\.layer\.(\d+)\.'))


def resize_bert_vocab(bert: StateDict, mlm: StateDict,
                      vocab_size: int) -> Tuple[StateDict, StateDict]:
    """Grow the vocabulary (e.g. after adding special tokens).

    Every tensor indexed by token id changes together: the word embeddings,
    the MLM head's output weight (tied to them in BERT) and its bias. New
    rows start at the mean of the old rows (embedding and bias), so a new
    token begins as an "average" word rather than a random one; old rows are
    unchanged, so nothing the model computes for old tokens changes.

    Args:
        bert (dict): ``BertModel`` keys (see :func:`normalize_hf_bert`).
        mlm (dict): ``predictions.*`` keys (may be empty).
        vocab_size (int): New vocabulary size, at least the old one.

    Returns:
        tuple: resized ``(bert, mlm)`` (new dicts; inputs untouched).
    """
    emb = bert['embeddings.word_embeddings.weight']
    old = emb.shape[0]
    if vocab_size < old:
        raise ValueError(f'vocab_size {vocab_size} is smaller than the '
                         f'checkpoint vocabulary {old}; shrinking would '
                         'renumber tokens')
    if vocab_size == old:
        return dict(bert), dict(mlm)

    def grow(t):
        extra = t.mean(0, keepdim=True).expand(vocab_size - old, *t.shape[1:])
        return torch.cat([t, extra.to(t.dtype)])

    bert = dict(bert)
    new_emb = grow(emb)
    bert['embeddings.word_embeddings.weight'] = new_emb
    mlm = dict(mlm)
    for key in ('predictions.bias', 'predictions.decoder.bias'):
        if key in mlm:
            mlm[key] = grow(mlm[key])
    if 'predictions.decoder.weight' in mlm:
        w = mlm['predictions.decoder.weight']
        # tied in BERT: keep one tensor so the two stay one after saving
        mlm['predictions.decoder.weight'] = new_emb if torch.equal(
            w, emb) else grow(w)
    return bert, mlm


def _layer_part(layer: StateDict, keep_cross: bool = False) -> StateDict:
    """Self-attention + FFN keys of one ``BertLayer`` (``crossattention`` is
    not in an encoder-only BERT: it stays at its random init)."""
    return {k: v for k, v in layer.items()
            if keep_cross or not k.startswith('crossattention.')}


def convert_hf_bert(state: StateDict,
                    text_layers: int = 6,
                    fusion_layers: Optional[int] = None,
                    decoder_layers: Optional[int] = None,
                    vocab_size: Optional[int] = None,
                    dtype: Optional[torch.dtype] = torch.float32
                    ) -> Tuple[StateDict, List[str]]:
    """A Hugging Face BERT -> SemMIM's text towers
    (docs/design.md#architecture).

    * text encoder ``text_encoder.bert.*``: embeddings and layers
      ``[0, text_layers)``;
    * fusion encoder ``fusion_encoder.layers.j.*``: layer
      ``text_layers + j`` (self-attention and FFN; cross-attention random);
    * decoder ``plm_head.decoder.lm.*``: embeddings, layers
      ``[0, decoder_layers)`` and the MLM head as its LM head;
    * fusion MLM head ``mlm_head.cls.predictions.*``: the MLM head (its
      output weight is the text encoder's word embeddings, tied).

    Args:
        state (dict): Weights from :func:`read_state_dict`.
        text_layers (int): Layers of the text encoder. Defaults to 6.
        fusion_layers (int, optional): Fusion layers to fill. Defaults to
            all layers after the text encoder's.
        decoder_layers (int, optional): Defaults to all layers.
        vocab_size (int, optional): Resize the vocabulary to this size
            (:func:`resize_bert_vocab`). Defaults to no change.
        dtype (torch.dtype, optional): Defaults to float32.

    Returns:
        tuple: state dict with SemMIM keys, and notes.
    """
    bert, mlm = normalize_hf_bert(state)
    total = num_bert_layers(bert)
    if fusion_layers is None:
        fusion_layers = max(total - text_layers, 0)
    if decoder_layers is None:
        decoder_layers = total
    if text_layers + fusion_layers > total or decoder_layers > total:
        raise ValueError(
            f'the checkpoint has {total} layers: cannot fill {text_layers} '
            f'text + {fusion_layers} fusion layers and {decoder_layers} '
            'decoder layers')
    notes = [f'{total} BERT layers, hidden size '
             f'{bert["embeddings.word_embeddings.weight"].shape[1]}']
    if vocab_size is not None:
        old = bert['embeddings.word_embeddings.weight'].shape[0]
        bert, mlm = resize_bert_vocab(bert, mlm, vocab_size)
        notes.append(f'vocabulary resized {old} -> {vocab_size} (new rows = '
                     'mean of the old ones); set bert_cfg.vocab_size='
                     f'{vocab_size} in every BERT part and the MLM head')

    def layer(i):
        return _take(bert, f'encoder.layer.{i}.')

    embeddings = {k: v for k, v in bert.items()
                  if k.startswith('embeddings.')}
    out = {}
    for k, v in embeddings.items():
        out[f'{TEXT_PREFIX}bert.{k}'] = v
        out[f'{DECODER_PREFIX}lm.bert.{k}'] = v
    for i in range(text_layers):
        for k, v in layer(i).items():
            out[f'{TEXT_PREFIX}bert.encoder.layer.{i}.{k}'] = v
    for j in range(fusion_layers):
        for k, v in _layer_part(layer(text_layers + j)).items():
            out[f'{FUSION_PREFIX}layers.{j}.{k}'] = v
    for i in range(decoder_layers):
        for k, v in _layer_part(layer(i)).items():
            out[f'{DECODER_PREFIX}lm.bert.encoder.layer.{i}.{k}'] = v
    notes.append(f'text encoder: embeddings + layers 0-{text_layers - 1}')
    if fusion_layers:
        notes.append(f'fusion encoder: layers {text_layers}-'
                     f'{text_layers + fusion_layers - 1} (cross-attention '
                     'stays random)')
    else:
        notes.append('fusion encoder: no layers left in the checkpoint, '
                     'it stays random')
    notes.append(f'decoder: embeddings + layers 0-{decoder_layers - 1} '
                 '(cross-attention stays random)')

    if mlm:
        head = dict(mlm)
        # the output projection is tied to the word embeddings in BERT and
        # in both our heads: write the embeddings, so a load never puts two
        # different values into one tied parameter
        words = bert['embeddings.word_embeddings.weight']
        source = mlm.get('predictions.decoder.weight')
        if source is not None and not torch.equal(source, words):
            notes.append('the checkpoint\'s MLM output weight differs from '
                         'its word embeddings (untied): the tied heads use '
                         'the word embeddings')
        head['predictions.decoder.weight'] = words
        if 'predictions.bias' in head:
            head.setdefault('predictions.decoder.bias',
                            head['predictions.bias'])
        for k, v in head.items():
            out[f'{DECODER_PREFIX}lm.cls.{k}'] = v
            out[f'{MLM_PREFIX}cls.{k}'] = v
        notes.append('MLM head -> decoder LM head and fusion MLM head')
    else:
        notes.append('no MLM head (cls.predictions) in the checkpoint: the '
                     'decoder LM head and the fusion MLM head keep their '
                     'random transform and bias')
    return _cast(out, dtype), notes


def save_converted(state: StateDict, path: str, meta: dict) -> None:
    """Write ``{'state_dict': state, 'meta': meta}`` (MMEngine's layout,
    read by ``init_cfg=dict(type='Pretrained', ...)``)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    torch.save(dict(state_dict=state, meta=meta), path)
