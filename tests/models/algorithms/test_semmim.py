"""SemMIM: loss keys, gradient routing, momentum isolation, ablations."""
import pytest
import torch

from semmim.registry import MODELS
from tests.conftest import tiny_batch, tiny_semmim_cfg

LOSSES = ('loss_cls', 'loss_patch', 'loss_itc', 'loss_itm', 'loss_mlm',
          'loss_plm')


def grads_of(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    return {n for n, p in model.named_parameters()
            if p.grad is not None and p.grad.abs().sum() > 0}


def test_loss_keys_and_finite(tiny_model):
    losses = tiny_model(**tiny_batch(tiny_model), mode='loss')
    for key in LOSSES:
        assert key in losses and torch.isfinite(losses[key])
    for key in ('acc_itm', 'acc_mlm', 'acc_plm', 'itc_temp'):
        assert key in losses and 'loss' not in key


def test_no_trainable_parameter_in_momentum_copies(tiny_model):
    for name, p in tiny_model.named_parameters():
        if name.startswith('momentum_'):
            assert not p.requires_grad, name
    losses = tiny_model(**tiny_batch(tiny_model), mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, p in tiny_model.named_parameters():
        if name.startswith('momentum_'):
            assert p.grad is None, name


def test_gradient_routing_per_loss(tiny_model):
    torch.manual_seed(0)
    losses = tiny_model(**tiny_batch(tiny_model), mode='loss')

    def touched(key):
        names = grads_of(tiny_model, losses[key])
        assert not any(n.startswith('momentum_') for n in names)
        return names

    def reaches(names, prefix):
        return any(n.startswith(prefix) for n in names)

    patch = touched('loss_patch')
    for part in ('vision_backbone.layers', 'vision_backbone.mask_token',
                 'encoding_head', 'text_encoder'):  # text through injection
        assert reaches(patch, part), part
    for part in ('fusion_encoder', 'itc_head', 'plm_head', 'mlm_head'):
        assert not reaches(patch, part), part

    cls = touched('loss_cls')
    assert reaches(cls, 'vision_backbone') and reaches(cls, 'encoding_head')
    assert not reaches(cls, 'vision_backbone.mask_token')
    assert not reaches(cls, 'text_encoder')

    itc = touched('loss_itc')
    assert reaches(itc, 'itc_head.temp') and reaches(itc, 'text_encoder')
    assert reaches(itc, 'vision_backbone.layers')
    assert not reaches(itc, 'fusion_encoder')
    assert not reaches(itc, 'encoding_head')

    itm = touched('loss_itm')
    assert reaches(itm, 'itm_head') and reaches(itm, 'fusion_encoder')
    assert reaches(itm, 'vision_backbone') and reaches(itm, 'text_encoder')
    assert not reaches(itm, 'itc_head')  # negatives sampled without grad

    mlm = touched('loss_mlm')
    assert reaches(mlm, 'mlm_head') and reaches(mlm, 'fusion_encoder')
    assert reaches(mlm, 'text_encoder.bert.embeddings.word_embeddings')

    plm = touched('loss_plm')
    assert reaches(plm, 'plm_head.decoder') and reaches(plm, 'fusion_encoder')
    assert reaches(plm, 'vision_backbone') and reaches(plm, 'text_encoder')


def test_text_never_reaches_cls_target_but_changes_patch_targets(
        tiny_model):
    batch = tiny_batch(tiny_model)
    other = tiny_batch(
        tiny_model, captions=['a purple cross'] * 4)  # same images
    model = tiny_model
    outs = []
    for b in (batch, other):
        inp = b['inputs']
        text = model.text_encoder(inp['text_ids'], inp['text_mask'])
        img1, img2 = inp['images']
        outs.append(model.teacher(model, img1, img2, inp['text_ids'],
                                  inp['text_mask'], text, True))
    torch.testing.assert_close(outs[0].cls_logits, outs[1].cls_logits)
    torch.testing.assert_close(outs[0].image_feat, outs[1].image_feat)
    assert not torch.allclose(outs[0].patch_logits, outs[1].patch_logits)


def test_momentum_update_moves_copies_towards_online(tiny_model):
    online = dict(tiny_model.vision_backbone.named_parameters())
    copy = dict(tiny_model.momentum_vision.module.backbone.named_parameters())
    name = 'layers.0.attn.qkv.weight'
    torch.testing.assert_close(copy[name], online[name])  # synced at init
    with torch.no_grad():
        online[name].add_(1.0)
    before = copy[name].clone()
    tiny_model.update_momentum()
    m = 0.996  # cosine start, step 0
    torch.testing.assert_close(copy[name], m * before + (1 - m) * online[name])


def test_queue_holds_momentum_features(tiny_model):
    ptr = int(tiny_model.itc_head.queue_ptr)
    tiny_model(**tiny_batch(tiny_model), mode='loss')
    assert int(tiny_model.itc_head.queue_ptr) == (ptr + 4) % 32


def test_centres_are_updated(tiny_model):
    before = tiny_model.cls_head.center.center.clone()
    tiny_model(**tiny_batch(tiny_model), mode='loss')
    assert not torch.equal(before, tiny_model.cls_head.center.center)


@pytest.mark.parametrize('overrides,present,absent', [
    (dict(mim_head=None, cls_head=None, encoding_head=None),
     ('loss_itc', 'loss_itm', 'loss_mlm', 'loss_plm'),
     ('loss_cls', 'loss_patch')),
    (dict(mask_generator=dict(masking='random')), ('loss_patch', ), ()),
    (dict(vision_backbone=dict(text_inject_start=None)), ('loss_patch', ),
     ()),
    (dict(vision_backbone=dict(text_inject_start=1)), ('loss_patch', ), ()),
    (dict(teacher=dict(symmetric_cls=True, mlm_distill=False)),
     ('loss_cls', ), ()),
    (dict(teacher=dict(text='momentum')), ('loss_patch', ), ()),
    # Table 4 as configured: only the MIM target changes, L_cls stays
    (dict(mim_head=None, mask_generator=None), ('loss_cls', 'loss_itc'),
     ('loss_patch', )),
    (dict(mim_head=dict(_replace_=True, type='PixelMIMHead', embed_dims=32,
                        patch_size=8)), ('loss_patch', 'loss_cls'), ()),
    (dict(mim_head=dict(_replace_=True, type='DVAEMIMHead', embed_dims=32,
                        num_tokens=16, tokenizer=dict(
                            type='DALL-E', n_hid=8, vocab_size=16))),
     ('loss_patch', 'loss_cls'), ()),
])
def test_ablations_run(overrides, present, absent):
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg(**overrides))
    model.init_weights()
    for ema in model.momentum_modules().values():
        ema.total_steps = 10
    losses = model(**tiny_batch(model), mode='loss')
    for key in present:
        assert torch.isfinite(losses[key])
    for key in absent:
        assert key not in losses
    sum(v for k, v in losses.items() if 'loss' in k).backward()


def test_bad_config_errors():
    with pytest.raises(ValueError, match='encoding_head'):
        MODELS.build(tiny_semmim_cfg(encoding_head=None))
    with pytest.raises(ValueError, match='teacher text'):
        MODELS.build(tiny_semmim_cfg(teacher=dict(text='both')))
    with pytest.raises(ValueError, match='teacher_text'):
        MODELS.build(tiny_semmim_cfg(teacher=dict(teacher_text='online')))


def test_extract_feat(tiny_model):
    batch = tiny_batch(tiny_model)
    feats = tiny_model(**batch, mode='tensor')
    assert feats['image_feat'].shape == (4, 16)
    assert feats['text_feat'].shape == (4, 16)
    torch.testing.assert_close(feats['text_feat'].norm(dim=-1),
                               torch.ones(4))


def separate_passes(model, monkeypatch):
    """The plain computation the product's merged passes must equal: each
    encoder called once per input, the clean and the masked image each
    through the whole ViT."""
    import semmim.models.algorithms.semmim as algo
    calls = []

    def merged_call(fn, groups):
        calls.append(len(groups))
        return [fn(*g) for g in groups]

    monkeypatch.setattr(algo, 'merged_call', merged_call)

    def encode_image(img2, mask, text, text_mask):
        calls.append('image')
        backbone = model.vision_backbone
        if mask is None:
            return backbone(img2)[0], None
        return backbone(img2)[0], backbone(
            img2, mask=mask, text=text, text_mask=text_mask)[0]

    monkeypatch.setattr(model, 'encode_image', encode_image)
    return calls


def image_kv_per_row(model, monkeypatch):
    """The plain computation the product's keys-and-values-once-per-image
    must equal: each text row fused with its own indexed copy."""
    calls = []

    def fuse_rows(images, text, text_mask, rows):
        calls.append(rows.numel())
        return model.fusion_encoder(text, text_mask,
                                    images.index_select(0, rows))

    monkeypatch.setattr(model, 'fuse_rows', fuse_rows)
    return calls


@pytest.mark.parametrize('overrides', [
    dict(),
    dict(mim_head=None, cls_head=None, teacher=dict(mlm_distill=False)),
    dict(teacher=dict(mlm_distill=True, text='momentum')),
])
@pytest.mark.parametrize('reference', [separate_passes, image_kv_per_row])
def test_merged_passes_match_separate_passes(overrides, reference):
    """One call per encoder on concatenated inputs (merged passes), and
    cross-attention keys/values once per image, give the losses and the
    gradients of the plain computation (no dropout here, same random
    draws)."""
    results = []
    for plain in (True, False):
        torch.manual_seed(0)
        model = MODELS.build(tiny_semmim_cfg(**overrides))
        model.init_weights()
        with pytest.MonkeyPatch.context() as mp:
            calls = reference(model, mp) if plain else None
            # a prefix shorter than the caption and ITM texts of one
            # length: padding and splitting are exercised
            torch.manual_seed(1)
            losses = model(**tiny_batch(model), mode='loss')
            total = sum(v for k, v in losses.items()
                        if k.startswith('loss'))
            total.backward()
        assert calls is None or calls  # the reference path ran
        grads = {n: p.grad.clone() for n, p in model.named_parameters()
                 if p.grad is not None}
        results.append((losses, grads))
    (l0, g0), (l1, g1) = results
    assert l0.keys() == l1.keys()
    for key in l0:
        torch.testing.assert_close(l1[key], l0[key], rtol=1e-6, atol=1e-6)
    assert g0.keys() == g1.keys() and len(g0) > 50
    for name in g0:
        if name.endswith('key.bias'):
            continue  # zero in exact arithmetic (softmax shift): round-off
        scale = g0[name].abs().max()
        # a pad position left unmasked moves some of these by ~1e-3
        assert (g1[name] - g0[name]).abs().max() <= 1e-5 * scale, name


def test_itc_momentum_image_and_text_features_share_one_schedule():
    """Without ``towers_momentum`` the towers (momentum text features and
    image projection) follow E^_I's DINO cosine: at every step both keep
    rates equal ``1 - (1 - 0.996) * (cos(pi t / T) + 1) / 2`` and both
    copies move by that rate."""
    import math
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg(
        teacher=dict(momentum=dict(momentum=0.996, end_momentum=1.0,
                                   schedule='cosine'))))
    model.init_weights()
    emas = model.momentum_modules()
    assert set(emas) == {'momentum_vision', 'momentum_towers'}
    T = 6
    for ema in emas.values():
        ema.total_steps = T
    text_w = model.momentum_towers.module.text_proj.weight
    vis_w = model.momentum_vision.module.backbone.patch_embed.projection.weight
    for t in range(T + 1):
        ref = 1 - 0.004 * (math.cos(math.pi * t / T) + 1) / 2
        for ema in emas.values():
            assert ema.current_momentum() == pytest.approx(ref, abs=1e-12)
        with torch.no_grad():
            model.itc_head.text_proj.weight.add_(1.0)
            model.vision_backbone.patch_embed.projection.weight.add_(1.0)
        before = (text_w.clone(), vis_w.clone())
        model.update_momentum()
        torch.testing.assert_close(
            text_w, ref * before[0] +
            (1 - ref) * model.itc_head.text_proj.weight)
        torch.testing.assert_close(
            vis_w, ref * before[1] +
            (1 - ref) * model.vision_backbone.patch_embed.projection.weight)
    # an explicit setting still wins (the Shapes-VL demo keeps its own)
    model = MODELS.build(tiny_semmim_cfg(
        teacher=dict(towers_momentum=dict(momentum=0.95))))
    assert model.momentum_towers.current_momentum() == 0.95
