import pytest
import torch
import torch.nn.functional as F

from semmim.models.utils import TextGuidedMaskGenerator


def features(B=3, N=16, D=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    patch = F.normalize(torch.randn(B, N, D, generator=g), dim=-1)
    text = F.normalize(torch.randn(B, D, generator=g), dim=-1)
    return patch, text


@pytest.mark.parametrize('ratio,expected', [(0.15, 2), (0.3, 5), (0.45, 7)])
def test_exact_count_no_duplicates(ratio, expected):
    gen = TextGuidedMaskGenerator(mask_ratio=ratio)
    patch, text = features(B=5, N=16)
    mask = gen(patch, text)
    assert mask.dtype == torch.bool and mask.shape == (5, 16)
    assert (mask.sum(1) == expected).all()  # bool mask: no duplicates


def test_first_draw_follows_softmax_of_similarity():
    """With one masked patch, its frequency is softmax(cos / tau)."""
    gen = TextGuidedMaskGenerator(mask_ratio=0.01, temperature=0.25)
    patch, text = features(B=1, N=16)
    probs = gen.probabilities(patch, text)[0]
    trials = 20000
    mask = gen(patch.expand(trials, -1, -1), text.expand(trials, -1),
               generator=torch.Generator().manual_seed(1))
    assert (mask.sum(1) == 1).all()
    freq = mask.float().mean(0)
    # chi-square goodness of fit, 15 dof: 99.9% quantile ~ 37.7
    chi2 = ((freq - probs) ** 2 / probs).sum() * trials
    assert chi2 < 37.7, (chi2, freq, probs)
    assert probs.max() / probs.min() > 5  # the test is not vacuous


def test_many_draws_match_sequential_sampling_without_replacement():
    gen = TextGuidedMaskGenerator(mask_ratio=0.3, temperature=0.25)
    patch, text = features(B=1, N=16, seed=3)
    probs = gen.probabilities(patch, text)[0]
    trials = 20000
    mask = gen(patch.expand(trials, -1, -1), text.expand(trials, -1),
               generator=torch.Generator().manual_seed(2))
    ours = mask.float().mean(0)
    g = torch.Generator().manual_seed(3)
    idx = torch.multinomial(probs.expand(trials, -1), 5, replacement=False,
                            generator=g)
    ref = torch.zeros(trials, 16).scatter_(1, idx, 1.).mean(0)
    # inclusion frequencies agree (binomial std < 0.0036 each)
    assert (ours - ref).abs().max() < 0.02
    # and text-guided masking prefers the most similar patch
    assert ours[probs.argmax()] > ours[probs.argmin()] + 0.1


def test_random_mode_is_uniform():
    gen = TextGuidedMaskGenerator(mask_ratio=0.25, masking='random')
    mask = gen(batch_size=20000, num_patches=16,
               generator=torch.Generator().manual_seed(0))
    assert (mask.sum(1) == 4).all()
    freq = mask.float().mean(0)
    assert (freq - 0.25).abs().max() < 0.02


def test_bad_arguments():
    with pytest.raises(ValueError, match='masking'):
        TextGuidedMaskGenerator(masking='block')
    with pytest.raises(ValueError, match='mask_ratio'):
        TextGuidedMaskGenerator(mask_ratio=1.5)
    with pytest.raises(ValueError, match='needs patch and text'):
        TextGuidedMaskGenerator()(batch_size=2, num_patches=4)
