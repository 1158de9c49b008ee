import pytest
import torch
from mmpretrain.models.backbones import VisionTransformer

from semmim.registry import MODELS

ARCH = dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64)


def build(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='SemMIMVisionTransformer', arch=ARCH, img_size=32,
               patch_size=8)
    cfg.update(kwargs)
    vit = MODELS.build(cfg)
    vit.init_weights()
    return vit.eval()


def test_plain_forward_equals_mmpretrain_vit():
    vit = build(text_inject_start=3)
    ref = VisionTransformer(
        arch=ARCH, img_size=32, patch_size=8, pre_norm=True,
        layer_cfgs=dict(act_cfg=dict(type='QuickGELU')),
        norm_cfg=dict(type='LN', eps=1e-5), out_type='raw').eval()
    missing, unexpected = ref.load_state_dict(vit.state_dict(), strict=False)
    assert not missing and unexpected == ['mask_token']
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(vit(x)[0], ref(x)[0])
    assert vit(x)[0].shape == (2, 17, 32)


def test_mask_token_replaces_masked_patches():
    vit = build()
    x = torch.randn(2, 3, 32, 32)
    mask = torch.zeros(2, 16, dtype=torch.bool)
    mask[:, :5] = True
    out = vit(x, mask=mask)[0]
    # masked content does not matter: change the pixels of patch 0
    x2 = x.clone()
    x2[:, :, :8, :8] = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(vit(x2, mask=mask)[0], out)
    # unmasked content does matter
    assert not torch.allclose(vit(x2)[0], vit(x)[0])
    with pytest.raises(ValueError, match='mask of shape'):
        vit(x, mask=torch.zeros(2, 9, dtype=torch.bool))


def test_text_injection_only_in_last_layers_and_padding_ignored():
    vit = build(text_inject_start=4)  # last layer only
    assert vit.num_text_layers == 1
    x = torch.randn(2, 3, 32, 32)
    text = torch.randn(2, 5, 32)
    text_mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    out = vit(x, text=text, text_mask=text_mask)[0]
    assert out.shape == (2, 17, 32)
    assert not torch.allclose(out, vit(x)[0])
    # padded text tokens are never attended to
    text2 = text.clone()
    text2[0, 3:] = torch.randn(2, 32) * 10
    torch.testing.assert_close(vit(x, text=text2, text_mask=text_mask)[0][0],
                               out[0])
    # the trunk (layers 1-3) is text-free: shared trunk + head == forward
    trunk = vit.forward_trunk(x)
    torch.testing.assert_close(
        vit.forward_head_layers(trunk, text, text_mask), out)
    torch.testing.assert_close(vit.forward_head_layers(trunk), vit(x)[0])


def test_text_injection_from_first_layer_changes_all_layers():
    vit = build(text_inject_start=1)
    assert vit.num_text_layers == 4
    x = torch.randn(1, 3, 32, 32)
    out = vit(x, text=torch.randn(1, 3, 32))[0]
    assert out.shape == (1, 17, 32)


def test_bad_arguments():
    with pytest.raises(ValueError, match='text_inject_start'):
        build(text_inject_start=5)
    vit = build(text_inject_start=None)
    with pytest.raises(ValueError, match='takes no text'):
        vit(torch.randn(1, 3, 32, 32), text=torch.randn(1, 3, 32))


def test_with_cp_same_values_and_grads():
    x = torch.randn(2, 3, 32, 32)
    text = torch.randn(2, 4, 32, requires_grad=True)
    outs, grads = [], []
    for with_cp in (False, True):
        vit = build(text_inject_start=3, with_cp=with_cp).train()
        out = vit(x, text=text, text_mask=torch.ones(2, 4))[0]
        out.square().mean().backward()
        outs.append(out.detach())
        grads.append(torch.cat([p.grad.flatten() for p in vit.parameters()
                                if p.grad is not None]))
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(grads[0], grads[1])


def test_train_eval_chain():
    vit = build()
    assert vit.train() is vit and vit.eval() is vit


def test_text_of_another_width_goes_through_an_adapter():
    vit = build(text_inject_start=4, text_dims=48)
    assert vit.text_adapter.in_features == 48
    out = vit(torch.randn(2, 3, 32, 32), text=torch.randn(2, 3, 48))[0]
    assert out.shape == (2, 17, 32)
    assert build(text_inject_start=4, text_dims=32).text_adapter is None
