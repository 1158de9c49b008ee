import math

import torch
from mmpretrain.models.utils import MultiheadAttention

from semmim.models.utils.attention import masked_attention


def naive_attention(attn, x, valid):
    B, S, C = x.shape
    h, d = attn.num_heads, attn.head_dims
    q, k, v = attn.qkv(x).reshape(B, S, 3, h, d).permute(2, 0, 3, 1, 4)
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)
    scores = scores.masked_fill(~valid[:, None, None, :], float('-inf'))
    out = scores.softmax(-1) @ v
    return attn.proj(out.transpose(1, 2).reshape(B, S, C))


def test_masked_attention_matches_naive_and_unmasked():
    torch.manual_seed(0)
    attn = MultiheadAttention(embed_dims=16, num_heads=2).eval()
    x = torch.randn(3, 7, 16)
    valid = torch.ones(3, 7, dtype=torch.bool)
    valid[0, 5:] = False
    valid[2, 3:] = False
    out = masked_attention(attn, x, valid[:, None, None, :])
    torch.testing.assert_close(out, naive_attention(attn, x, valid))
    # an all-valid mask equals mmpretrain's own forward
    torch.testing.assert_close(
        masked_attention(attn, x, torch.ones(3, 1, 1, 7, dtype=torch.bool)),
        attn(x))
    assert masked_attention(attn, x, None) is not None
