"""BertFusionEncoder: cross-attention keys and values once per image."""
import copy

import pytest
import torch

from semmim.models.backbones.bert_fusion_encoder import BertFusionEncoder
from semmim.models.utils.bert import RowIndexedLinear

from ...conftest import TINY_BERT


def _encoder(with_cp=False):
    torch.manual_seed(0)
    enc = BertFusionEncoder(num_layers=2, bert_cfg=TINY_BERT, with_cp=with_cp)
    enc.init_weights()
    return enc.eval()  # no dropout: the two paths must agree exactly


@pytest.mark.parametrize('with_cp', [False, True])
@pytest.mark.parametrize('with_mask', [False, True])
def test_image_index_matches_indexed_images(with_cp, with_mask):
    """``image_index`` gives the outputs and the gradients (to text, images
    and every weight) of passing ``image[image_index]``."""
    enc = _encoder(with_cp)
    width = enc.embed_dims
    images = torch.randn(3, 5, width)
    image_mask = torch.ones(3, 5, dtype=torch.long)
    image_mask[1, 3:] = 0
    rows = torch.tensor([0, 2, 1, 1, 0, 2, 2])
    text = torch.randn(7, 4, width)
    text_mask = torch.ones(7, 4, dtype=torch.long)
    text_mask[2, 2:] = 0
    out, grads = [], []
    for indexed in (False, True):
        model = copy.deepcopy(enc)
        t = text.clone().requires_grad_()
        im = images.clone().requires_grad_()
        mask = image_mask if with_mask else None
        if indexed:
            y = model(t, text_mask, im, mask, image_index=rows)
        else:
            y = model(t, text_mask, im.index_select(0, rows),
                      None if mask is None else mask.index_select(0, rows))
        (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
        out.append(y)
        grads.append([t.grad, im.grad] + [p.grad for p in model.parameters()])
    torch.testing.assert_close(out[1], out[0], rtol=1e-5, atol=1e-6)
    for g_ref, g in zip(*grads):
        torch.testing.assert_close(g, g_ref, rtol=1e-5, atol=1e-6)
    # the index is cleared after the call
    assert all(m.rows is None for m in enc.modules()
               if isinstance(m, RowIndexedLinear))


def test_keys_values_computed_once_per_image():
    """The key/value projections see the images the index uses, once each
    (not one copy per text row, nothing for unused images, e.g. other
    ranks' images no ITM pair drew); checkpoint names are nn.Linear's."""
    enc = _encoder()
    seen = []
    key = enc.layers[0].crossattention.self.key
    key.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[0]))
    images = torch.randn(4, 5, enc.embed_dims)  # image 1 is unused
    text = torch.randn(6, 4, enc.embed_dims)
    rows = torch.tensor([0, 3, 0, 3, 2, 0])
    out = enc(text, torch.ones(6, 4), images, image_index=rows)
    assert seen == [3]
    torch.testing.assert_close(
        out, enc(text, torch.ones(6, 4), images.index_select(0, rows)),
        rtol=1e-5, atol=1e-6)
    assert 'layers.0.crossattention.self.key.weight' in enc.state_dict()
    assert isinstance(key, torch.nn.Linear)


def test_building_draws_the_same_random_numbers_as_bert_layers():
    """Swapping in the row-indexed projections draws no random numbers:
    seeded models (and results) are those of plain BertLayers."""
    from transformers.models.bert.modeling_bert import BertLayer

    from semmim.models.utils.bert import make_bert_config
    torch.manual_seed(0)
    BertFusionEncoder(num_layers=2, bert_cfg=TINY_BERT)
    after_encoder = torch.rand(1)
    torch.manual_seed(0)
    config = make_bert_config(2, TINY_BERT, is_decoder=True,
                              add_cross_attention=True)
    layers = [BertLayer(config) for _ in range(2)]
    from semmim.models.utils.bert import init_bert_weights
    init_bert_weights(torch.nn.ModuleList(layers), config.initializer_range)
    assert torch.equal(torch.rand(1), after_encoder)
