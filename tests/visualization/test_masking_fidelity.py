"""Text-guided masking, measured: the caption reader, the named patches,
the fusion similarity against the encoder's own forward, the statistic."""
import numpy as np
import pytest
import torch

from semmim.registry import MODELS
from semmim.visualization.masking_fidelity import (hit_share,
                                                   masking_fidelity,
                                                   named_objects,
                                                   named_patches)
from tests.conftest import tiny_batch, tiny_semmim_cfg

OBJECTS = [
    dict(shape='circle', color='orange', size='small'),
    dict(shape='circle', color='purple', size='small'),
    dict(shape='cross', color='blue', size='large'),
]


@pytest.mark.parametrize('caption,named', [
    ('a single orange object, a single blue shape and one violet object '
     'on a mint background', [0, 1, 2]),
    ('a small orange disk is to the left of the plus sign', [0, 2]),
    ('the plus sign is large and the purple circle is small', [1, 2]),
    ('two circles on a blue background', [0, 1]),  # background named: no
    ('a little violet disk on the right side', [1]),
    ('there is a big shape', [2]),
    ('a shape', []),
])
def test_named_objects_reads_the_generators_phrases(caption, named):
    assert named_objects(caption, OBJECTS) == named


def test_named_patches_cover_only_the_named_objects():
    from semmim.datasets.shapes_vl import render_label_map
    scene = dict(
        width=64, height=64,
        background=dict(name='grey', rgb=[200, 200, 200], pattern='plain',
                        gradient_angle=0.0, gradient_strength=0.0,
                        stripe_angle=0.0, stripe_period=10.0,
                        noise_seed=0),
        objects=[dict(OBJECTS[0], center=[12.0, 12.0], radius=8.0,
                      rotation=0.0, rgb=[230, 130, 30],
                      bbox=[4, 4, 20, 20], position='top left'),
                 dict(OBJECTS[2], center=[44.0, 44.0], radius=14.0,
                      rotation=0.0, rgb=[20, 90, 220],
                      bbox=[30, 30, 58, 58], position='bottom right')],
        relations=[])
    label = render_label_map(scene)
    grid = named_patches(scene, 'an orange circle', 8, min_fraction=0.25)
    # reference: coverage of object 1 per 8 x 8 block
    cover = (label == 1).reshape(8, 8, 8, 8).mean((1, 3))
    np.testing.assert_array_equal(grid, cover >= 0.25)
    assert grid.any() and not (grid & ((label == 2).reshape(
        8, 8, 8, 8).mean((1, 3)) >= 0.25)).any()


def test_hit_share():
    masks = np.array([[1, 1, 0, 0], [0, 1, 1, 0]], bool)
    named = np.array([[1, 0, 0, 0], [0, 1, 1, 1]], bool)
    assert hit_share(masks, named) == pytest.approx(3 / 4)


def test_fusion_similarity_is_the_encoders_own_cross_attention_logit():
    """``cross_attention_scores`` against the logits the fusion encoder's
    own forward computes (its last layer's query and key, hooked)."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg(
        teacher=dict(mask_similarity='fusion')))
    model.init_weights()
    fusion = model.momentum_towers.module['fusion_encoder']
    text = torch.randn(3, 5, 32)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]])
    image = torch.randn(3, 17, 32)
    seen = {}
    attn = fusion.layers[-1].crossattention.self
    hooks = [attn.query.register_forward_hook(
        lambda m, i, o: seen.__setitem__('q', o)),
        attn.key.register_forward_hook(
        lambda m, i, o: seen.__setitem__('k', o))]
    fusion(text, mask, image)
    for h in hooks:
        h.remove()
    heads, d = attn.num_attention_heads, attn.attention_head_size
    q = seen['q'].view(3, 5, heads, d).transpose(1, 2)
    k = seen['k'].view(3, 17, heads, d).transpose(1, 2)
    ref = q @ k.transpose(-1, -2) / d**0.5
    torch.testing.assert_close(
        fusion.cross_attention_scores(text, mask, image), ref)
    # SemMIM's S_i: the text [CLS] row, patches only, mean over heads
    sim = model.teacher.mask_similarity(model, image, None, text, mask)
    torch.testing.assert_close(sim, ref[:, :, 0, 1:].mean(1))


def test_itc_similarity_is_the_cosine_of_the_projections():
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg())
    image = torch.randn(2, 17, 32)
    text_feat = torch.nn.functional.normalize(torch.randn(2, 16), dim=-1)
    proj = model.momentum_towers.module['vision_proj'](image[:, 1:])
    ref = torch.nn.functional.cosine_similarity(
        proj, text_feat[:, None], dim=-1)
    sim = model.teacher.mask_similarity(model, image, text_feat, None, None,
                                        'itc')
    torch.testing.assert_close(sim, ref)


def test_semmim_step_with_fusion_masking():
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg(
        teacher=dict(mask_similarity='fusion')))
    model.init_weights()
    for ema in model.momentum_modules().values():
        ema.total_steps = 10
    losses = model(**tiny_batch(model), mode='loss')
    assert torch.isfinite(losses['loss_patch'])
    with pytest.raises(ValueError, match='mask_similarity'):
        MODELS.build(tiny_semmim_cfg(
            teacher=dict(mask_similarity='pixels')))


def test_statistic_against_an_oracle_and_a_blind_similarity(monkeypatch):
    """An oracle S_i (large on named patches) at a low temperature masks
    every named patch (share = named / M per row); a constant S_i hits
    them as often as random masks (lift 1)."""
    import semmim.visualization.masking_fidelity as mf
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg())
    rng = np.random.default_rng(0)
    named = np.zeros((64, 16), bool)
    for row in named:
        row[rng.choice(16, 3, replace=False)] = True
    sims = dict(oracle=torch.from_numpy(named).float(),
                blind=torch.zeros(64, 16))

    def fake(model, images, captions, features):
        return sims[features][:len(captions)]

    monkeypatch.setattr(mf, 'mask_similarity', fake)
    rows = masking_fidelity(model, torch.zeros(64, 3, 32, 32), ['x'] * 64,
                            named, [0.01], ('oracle', 'blind'), draws=8,
                            batch_size=64)
    M = model.mask_generator.num_masked(16)
    assert rows[0]['text_guided'] == pytest.approx(3 / M)
    assert rows[0]['named_share'] == pytest.approx(3 / 16)
    assert rows[1]['lift'] == pytest.approx(1.0, abs=0.15)
    assert rows[0]['random'] == pytest.approx(3 / 16, abs=0.03)
