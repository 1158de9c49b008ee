"""merged_call: one call on padded, concatenated groups = separate calls."""
import torch

from semmim.models.utils.merged_passes import merged_call


def masked_mean_mixer(tokens, mask, context):
    """Rows independent; masked tokens never read; output per token."""
    w = mask.unsqueeze(-1).float()
    pooled = (tokens * w).sum(1, keepdim=True) / w.sum(1, keepdim=True)
    return tokens * 2 + pooled + context.mean(1, keepdim=True)


def test_merged_call_matches_separate_calls_and_counts_calls():
    g = torch.Generator().manual_seed(0)
    groups = []
    for rows, length in [(3, 5), (2, 7), (1, 4)]:
        mask = torch.ones(rows, length, dtype=torch.long)
        mask[0, -1] = 0  # padding inside a group
        groups.append((torch.randn(rows, length, 6, generator=g), mask,
                       torch.randn(rows, 9, 6, generator=g)))
    calls = []

    def fn(*args):
        calls.append(args[0].shape)
        return masked_mean_mixer(*args)

    separate = merged_call(fn, groups, merge=False)
    assert len(calls) == 3
    merged = merged_call(fn, groups, merge=True)
    assert len(calls) == 4 and calls[-1] == (6, 7, 6)
    for a, b, grp in zip(separate, merged, groups):
        assert b.shape == grp[0].shape
        torch.testing.assert_close(b, a)


def test_merged_call_pads_ids_with_masked_positions():
    seen = {}

    def fn(ids, mask):
        seen['mask'] = mask
        return ids.unsqueeze(-1).float()

    out = merged_call(fn, [(torch.ones(1, 2, dtype=torch.long),
                            torch.ones(1, 2, dtype=torch.long)),
                           (torch.full((1, 4), 5), torch.ones(1, 4,
                                                               dtype=torch.long))])
    assert seen['mask'].tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    assert out[0].shape == (1, 2, 1) and out[1].shape == (1, 4, 1)
    assert out[1].squeeze(-1).tolist() == [[5, 5, 5, 5]]
