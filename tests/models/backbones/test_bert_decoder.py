"""BertDecoder: cross-attention keys and values once per context."""
import copy

import torch

from semmim.models.backbones.bert_decoder import BertDecoder

from ...conftest import TINY_BERT


def test_context_index_matches_indexed_context():
    """``context_index`` gives the token losses and the gradients (to the
    context and every weight) of passing ``context[context_index]``."""
    torch.manual_seed(0)
    dec = BertDecoder(num_layers=2, bert_cfg=TINY_BERT).eval()
    width = dec.config.hidden_size
    context = torch.randn(2, 6, width)
    context_mask = torch.ones(2, 6, dtype=torch.long)
    context_mask[1, 4:] = 0
    rows = torch.tensor([1, 0, 1, 1, 0])
    ids = torch.randint(1000, 2000, (5, 4))
    mask = torch.ones(5, 4, dtype=torch.long)
    mask[3, 2:] = 0
    results = []
    for indexed in (False, True):
        model = copy.deepcopy(dec)
        c = context.clone().requires_grad_()
        if indexed:
            nll, _ = model.token_loss(ids, mask, c, context_mask,
                                      reduction='sum', context_index=rows)
        else:
            nll, _ = model.token_loss(ids, mask, c.index_select(0, rows),
                                      context_mask.index_select(0, rows),
                                      reduction='sum')
        nll.sum().backward()
        results.append((nll.detach(), [c.grad] + [
            p.grad for p in model.parameters() if p.grad is not None]))
    (n0, g0), (n1, g1) = results
    torch.testing.assert_close(n1, n0, rtol=1e-5, atol=1e-6)
    assert len(g0) == len(g1) > 10
    for a, b in zip(g0, g1):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)
    # checkpoint names are transformers' own
    assert 'lm.bert.encoder.layer.0.crossattention.self.key.weight' in \
        dec.state_dict()


def test_building_and_init_draw_what_transformers_draws():
    """Swapping in the row-indexed projections changes no random draw, in
    the constructor or in ``init_weights`` (transformers re-draws modules
    it has not marked as initialised): seeded models are unchanged."""
    from transformers import BertLMHeadModel
    torch.manual_seed(0)
    dec = BertDecoder(num_layers=2, bert_cfg=TINY_BERT)
    dec.init_weights()
    after = torch.rand(1)
    torch.manual_seed(0)
    ref = BertLMHeadModel(dec.config)
    ref.init_weights()
    assert torch.equal(torch.rand(1), after)
    for key, value in ref.state_dict().items():
        torch.testing.assert_close(dec.state_dict()['lm.' + key], value,
                                   rtol=0, atol=0, msg=key)
