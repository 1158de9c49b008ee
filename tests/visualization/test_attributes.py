"""Zero-shot attribute accuracies against a naive computation, and the
similarities against the model's own embeddings."""
import numpy as np
import pytest
import torch

from semmim.visualization.attributes import (attribute_scores,
                                             attribute_similarities,
                                             embedding_variance_shares,
                                             format_scores,
                                             format_variance_shares,
                                             fusion_context,
                                             itm_match_probabilities,
                                             mlm_attribute_scores,
                                             null_variance_share,
                                             single_object, variance_share)


def naive_scores(sim, color_idx, shape_idx):
    B, C, S = sim.shape
    color = shape = both = 0
    for b in range(B):
        c, s = color_idx[b], shape_idx[b]
        color += max(range(C), key=lambda k: sim[b, k, s]) == c
        shape += max(range(S), key=lambda k: sim[b, c, k]) == s
        flat = max(((k, j) for k in range(C) for j in range(S)),
                   key=lambda kj: sim[b, kj[0], kj[1]])
        both += flat == (c, s)
    return color / B, shape / B, both / B


def test_attribute_scores_match_naive_loop():
    rng = np.random.default_rng(0)
    sim = rng.normal(size=(50, 6, 5))
    color_idx, shape_idx = rng.integers(0, 6, 50), rng.integers(0, 5, 50)
    # make colour easy for most images
    sim[np.arange(40), color_idx[:40], :] += 10
    scores = attribute_scores(sim, color_idx, shape_idx)
    color, shape, both = naive_scores(sim, color_idx, shape_idx)
    assert scores['color'] == pytest.approx(color)
    assert scores['shape'] == pytest.approx(shape)
    assert scores['both'] == pytest.approx(both)
    assert scores['color'] >= 0.8 > scores['shape']
    assert scores['num_images'] == 50
    assert scores['chance_color'] == pytest.approx(1 / 6)
    assert scores['chance_shape'] == pytest.approx(1 / 5)
    assert scores['chance_both'] == pytest.approx(1 / 30)


def naive_eta_squared(x, labels):
    """Between-group over total sum of squares, one row at a time."""
    grand = x.mean(0)
    total = between = 0.0
    for i in range(len(x)):
        group_mean = x[labels == labels[i]].mean(0)
        total += ((x[i] - grand) ** 2).sum()
        between += ((group_mean - grand) ** 2).sum()
    return between / total


def test_variance_share_matches_naive_and_limits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    labels = rng.integers(0, 4, 40)
    assert variance_share(x, labels) == pytest.approx(
        naive_eta_squared(x, labels))
    means = rng.normal(size=(4, 5))
    assert variance_share(means[labels], labels) == pytest.approx(1.0)
    assert variance_share(x, np.zeros(40)) == pytest.approx(0.0)
    assert variance_share(np.ones((3, 2)), np.arange(3)) == 0.0


def test_embedding_variance_shares_split_colour_and_shape():
    """Text rows are colour-major: a grid whose rows depend on the colour
    only gives colour share 1 and shape share 0; image shares follow the
    given labels."""
    rng = np.random.default_rng(1)
    C, S = 3, 4
    by_color = rng.normal(size=(C, 6))
    text = torch.tensor(np.repeat(by_color, S, axis=0))
    shape_idx = rng.integers(0, S, 30)
    color_idx = rng.integers(0, C, 30)
    image = torch.tensor(rng.normal(size=(S, 6))[shape_idx])
    shares = embedding_variance_shares(text, image, S, color_idx, shape_idx)
    assert shares['text_color'] == pytest.approx(1.0)
    assert shares['text_shape'] == pytest.approx(0.0, abs=1e-12)
    assert shares['image_shape'] == pytest.approx(1.0)
    assert shares['image_color'] == pytest.approx(
        naive_eta_squared(image.numpy(), color_idx))
    assert shares['chance_text_color'] == pytest.approx(2 / 11)
    assert shares['chance_text_shape'] == pytest.approx(3 / 11)
    assert 'text' in format_variance_shares(shares)


def test_null_variance_share_is_the_mean_for_blind_features():
    rng = np.random.default_rng(2)
    labels = np.arange(30) % 5
    draws = [variance_share(rng.normal(size=(30, 8)), labels)
             for _ in range(400)]
    assert np.mean(draws) == pytest.approx(null_variance_share(5, 30),
                                           abs=0.01)


def test_single_object_filter():
    samples = [dict(scene=dict(objects=[1])), dict(scene=dict(objects=[])),
               dict(scene=dict(objects=[1, 2])), dict(scene=None)]
    assert single_object(samples) == [samples[0]]


def test_similarities_are_the_models_itc_cosines(tiny_model):
    model = tiny_model.eval()
    images = torch.randn(3, 3, 32, 32)
    colors, shapes = ['red', 'blue'], ['circle', 'star', 'cross']
    sim = attribute_similarities(model, images, colors, shapes,
                                 template='a {color} {shape}', batch_size=2)
    assert sim.shape == (3, 2, 3)
    with torch.no_grad():
        image = model.extract_feat(dict(images=images))['image_feat']
        tokens = model.data_preprocessor.tokenize(['a blue cross'])
        text = model.extract_feat(dict(text_ids=tokens['ids'],
                                       text_mask=tokens['mask']))['text_feat']
    np.testing.assert_allclose(sim[:, 1, 2], (image @ text.t())[:, 0],
                               rtol=1e-4, atol=1e-5)


def test_itm_probabilities_are_the_heads_on_each_pair(tiny_model):
    model = tiny_model.eval()
    images = torch.randn(3, 3, 32, 32)
    colors, shapes = ['red', 'blue'], ['circle', 'star', 'cross']
    prob = itm_match_probabilities(model, fusion_context(model, images),
                                   colors, shapes, batch_size=2)
    assert prob.shape == (3, 2, 3)
    assert ((prob > 0) & (prob < 1)).all()
    # one pair at a time, as ITM fuses a pair in training
    with torch.no_grad():
        tokens = model.data_preprocessor.tokenize(['a blue star'])
        text = model.text_encoder(tokens['ids'], tokens['mask'])
        for b in range(3):
            image = model.fusion_encoder.adapt_image(
                model.vision_backbone(images[b:b + 1])[0])
            fused = model.fusion_encoder(text, tokens['mask'], image)
            p = model.itm_head(fused[:, 0]).softmax(-1)[0, 1]
            assert prob[b, 1, 1] == pytest.approx(float(p), rel=1e-4,
                                                  abs=1e-6)
    # the ITM column is printed between ITC and MLM
    scores = attribute_scores(prob, np.array([0, 1, 1]), np.array([2, 0, 1]))
    table = format_scores(scores, itm=scores).splitlines()
    assert table[1].split() == ['attribute', 'ITC', 'ITM', 'MLM', 'chance',
                                'MLM', 'majority']
    assert table[3].split()[1] == table[3].split()[2] == \
        f'{scores["shape"]:.3f}'
    assert table[3].split()[3] == '-'


class FixedWordHead(torch.nn.Module):
    """An MLM head that always says the same word."""

    def __init__(self, vocab_size, word_id):
        super().__init__()
        self.vocab_size, self.word_id = vocab_size, word_id

    def forward(self, x):
        logits = torch.zeros(x.shape[0], self.vocab_size)
        logits[:, self.word_id] = 1.0
        return logits


def test_mlm_scores_follow_the_head(tiny_model):
    model = tiny_model.eval()
    tokenizer = model.data_preprocessor.tokenizer
    colors, shapes = ['red', 'blue'], ['circle', 'star', 'cross']
    color_idx, shape_idx = np.array([0, 1, 1, 0, 1]), np.array([1, 1, 0, 2,
                                                                1])
    images = torch.randn(5, 3, 32, 32)
    context = fusion_context(model, images, batch_size=2)
    real = mlm_attribute_scores(model, context, colors, shapes, color_idx,
                                shape_idx, batch_size=2)
    assert real == mlm_attribute_scores(model, context, colors, shapes,
                                        color_idx, shape_idx, batch_size=5)
    for key in ('shape', 'color'):
        assert 0 <= real[key] <= 1 and real[f'{key}_majority'] >= 1 / 3
    # a head that always says "star" (and so "star" for colours too:
    # restricted to the colour words, arg-max of all zeros is the first)
    model.mlm_head = FixedWordHead(tokenizer.vocab_size,
                                   tokenizer.convert_tokens_to_ids('star'))
    fixed = mlm_attribute_scores(model, context, colors, shapes, color_idx,
                                 shape_idx)
    assert fixed['shape'] == pytest.approx(np.mean(shape_idx == 1))
    assert fixed['shape_majority'] == 1.0
    assert fixed['color'] == pytest.approx(np.mean(color_idx == 0))
    with pytest.raises(ValueError, match='plus sign'):
        mlm_attribute_scores(model, context, colors, ['plus sign'] * 3,
                             color_idx, shape_idx)
