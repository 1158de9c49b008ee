import torch

from semmim.models.utils.token_masking import mask_tokens


def test_mask_tokens_rates_and_specials():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 2000, (400, 30), generator=g)
    ids[:, 0] = 101  # [CLS]
    ids[:, 20:] = 0  # [PAD]
    out, labels = mask_tokens(ids, vocab_size=30522, mask_token_id=103,
                              special_ids=(0, 101), prob=0.15, generator=g)
    chosen = labels != -100
    assert not chosen[:, 0].any() and not chosen[:, 20:].any()
    assert (labels[chosen] == ids[chosen]).all()
    assert (out[~chosen] == ids[~chosen]).all()
    rate = chosen[:, 1:20].float().mean()
    assert abs(rate - 0.15) < 0.01
    n = chosen.sum().float()
    masked = (out[chosen] == 103).sum() / n
    kept = (out[chosen] == ids[chosen]).sum() / n
    assert abs(masked - 0.8) < 0.03
    assert abs(kept - 0.1) < 0.03  # (a random token rarely equals it)
