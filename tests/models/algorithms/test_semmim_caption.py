import json

import pytest
import torch
from mmpretrain.structures import DataSample

from semmim.registry import MODELS
from tests.conftest import (CAPTIONS, load_tiny_pretraining_checkpoint,
                            tiny_batch, tiny_semmim_cfg)


def caption_cfg(**kw):
    base = tiny_semmim_cfg()
    cfg = dict(type='SemMIMCaption',
               data_preprocessor=base['data_preprocessor'],
               vision_backbone=base['vision_backbone'],
               fusion_encoder=base['fusion_encoder'],
               plm_head=base['plm_head'],
               generation_cfg=dict(num_beams=3, min_length=2, max_length=8))
    cfg.update(kw)
    return cfg


def build(**kw):
    torch.manual_seed(0)
    model = MODELS.build(caption_cfg(**kw))
    model.init_weights()
    return model


def test_ce_loss_keys_and_gradients():
    model = build().train()
    data = tiny_batch(model, views=1)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_caption', 'acc_caption'}
    assert torch.isfinite(losses['loss_caption'])
    losses['loss_caption'].backward()
    assert model.plm_head.decoder.lm.bert.encoder.layer[0] \
        .crossattention.self.query.weight.grad is not None
    assert model.vision_backbone.patch_embed.projection.weight.grad \
        is not None
    # pre-training-only parameters stay out of the optimisation
    assert not model.vision_backbone.mask_token.requires_grad
    assert len(model.fusion_encoder.layers) == 0


def test_ce_loss_decreases_on_a_toy_batch():
    model = build().train()
    data = tiny_batch(model, views=1)
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=5e-3)
    first = None
    for _ in range(15):
        loss = model(**data, mode='loss')['loss_caption']
        first = float(loss) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.8 * first


def test_ce_loss_is_the_decoder_token_loss_without_prompt():
    model = build(plm_head=dict(
        tiny_semmim_cfg()['plm_head'], label_smoothing=0.1)).eval()
    data = tiny_batch(model, views=1)
    ids, mask = data['inputs']['text_ids'], data['inputs']['text_mask']
    ctx = model.encode_image(data['inputs']['images'])
    ours = model(**data, mode='loss')['loss_caption']
    ref, _ = model.decoder.token_loss(ids, mask, ctx, label_smoothing=0.1)
    torch.testing.assert_close(ours, ref)


def test_prompt_is_given_not_predicted_and_stripped():
    model = build(prompt='a picture of').eval()
    P = model.prompt_ids.numel()
    assert P == 3
    data = tiny_batch(model, views=1)
    ids, mask, target = model.add_prompt(data['inputs']['text_ids'],
                                         data['inputs']['text_mask'])
    assert ids.shape[1] == data['inputs']['text_ids'].shape[1] + P
    assert torch.equal(ids[:, 1:1 + P],
                       model.prompt_ids.expand(ids.shape[0], -1))
    assert not target[:, :1 + P].any()
    assert torch.equal(target[:, 1 + P:], mask[:, 1 + P:])
    ctx = model.encode_image(data['inputs']['images'])
    seqs = model.generate(ctx)
    assert torch.equal(seqs[:, 1:1 + P], model.prompt_ids.expand(4, -1))
    # the output is the caption after the prompt
    text = model.tokenizer.batch_decode(seqs[:, 1 + P:],
                                        skip_special_tokens=True)
    assert model.decode(seqs) == [t.strip() for t in text]


def _bias_eos(model, value):
    eos = model.tokenizer.sep_token_id
    with torch.no_grad():
        model.decoder.lm.cls.predictions.bias[eos] = value


@pytest.mark.parametrize('eos_bias,expected', [(50.0, 'min'), (-50.0, 'max')])
def test_beam_search_respects_min_and_max_length(eos_bias, expected):
    model = build(generation_cfg=dict(num_beams=4, min_length=5,
                                      max_length=9)).eval()
    _bias_eos(model, eos_bias)
    data = tiny_batch(model, views=1)
    ctx = model.encode_image(data['inputs']['images'])
    seqs = model.generate(ctx, num_return_sequences=3)
    assert seqs.shape[0] == 4 * 3
    new = seqs[:, model.num_given:]
    mask, _ = model.generated_masks(seqs)
    lengths = mask[:, model.num_given:].sum(1)  # caption tokens + [SEP]
    eos = model.tokenizer.sep_token_id
    if expected == 'min':
        # [SEP] wanted everywhere: it comes right after 5 caption tokens
        assert (lengths == 6).all()
        assert (new[:, 5] == eos).all()
        assert not (new[:, :5] == eos).any()
    else:
        # [SEP] never wanted: stopped by max_length (9 new tokens)
        assert new.shape[1] == 9
        assert (lengths == 9).all()
        assert not (new == eos).any()


def test_kv_cache_gives_the_same_tokens():
    model = build(generation_cfg=dict(num_beams=3, min_length=3,
                                      max_length=10)).eval()
    data = tiny_batch(model, views=1)
    ctx = model.encode_image(data['inputs']['images'])
    with_cache = model.generate(ctx, use_cache=True, num_return_sequences=2)
    without = model.generate(ctx, use_cache=False, num_return_sequences=2)
    assert torch.equal(with_cache, without)


def test_predict_sets_pred_caption():
    model = build().eval()
    data = tiny_batch(model, views=1)
    for s, i in zip(data['data_samples'], range(4)):
        s.set_field(i, 'image_id')
    out = model(**data, mode='predict')
    assert len(out) == 4
    assert all(isinstance(s.pred_caption, str) for s in out)
    assert [s.image_id for s in out] == [0, 1, 2, 3]


def test_generated_masks_stop_at_the_first_sep():
    model = build(prompt='a')  # [CLS] + 1 prompt token given
    cls, sep, pad = 101, 102, 0
    seqs = torch.tensor([[cls, 1037, 7, 8, sep, pad, pad],
                         [cls, 1037, 7, 8, 9, 10, 11],
                         [cls, 1037, sep, pad, pad, pad, pad]])
    mask, target = model.generated_masks(seqs)
    assert mask.tolist() == [[1, 1, 1, 1, 1, 0, 0], [1] * 7,
                             [1, 1, 1, 0, 0, 0, 0]]
    assert target.tolist() == [[0, 0, 1, 1, 1, 0, 0], [0, 0] + [1] * 5,
                               [0, 0, 1, 0, 0, 0, 0]]


def test_scst_objective_sign_and_baseline():
    """Two images, three candidates each; the second image's candidates
    all get the same reward, so they have no advantage."""
    rewards = torch.tensor([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    log_p = torch.tensor([-1.0, -2.0, -3.0, -1.0, -1.0, -1.0],
                         requires_grad=True)
    loss = model_cls().scst_objective(-log_p, rewards)
    # advantages -1, 0, +1, 0, 0, 0: loss = mean(-(adv) * log p)
    assert float(loss) == pytest.approx((-1 * 1 + 1 * 3) / 6)
    loss.backward()
    grad = log_p.grad.tolist()
    # gradient descent raises log p of the above-mean candidate, lowers the
    # below-mean one, leaves mean-reward candidates alone
    assert grad[2] < 0 < grad[0]
    assert grad[1] == 0 and grad[3:] == [0, 0, 0]


def model_cls():
    from semmim.models.algorithms import SemMIMCaption
    return SemMIMCaption


@pytest.fixture
def cider_file(tmp_path):
    entries = [dict(image=f'{i}.png', caption=c, image_id=i)
               for i, c in enumerate(CAPTIONS)]
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(entries))
    return str(path)


def test_scst_loss(cider_file):
    model = build(scst=True, scst_cfg=dict(num_candidates=3,
                                           cider_ann_file=cider_file))
    model.train()
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    samples = [DataSample(gt_caption=CAPTIONS[:2]),
               DataSample(gt_caption=CAPTIONS[2:])]
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples),
                                   True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_scst', 'reward_cider'}
    assert torch.isfinite(losses['loss_scst'])
    losses['loss_scst'].backward()
    assert model.decoder.lm.bert.encoder.layer[0].crossattention.self \
        .query.weight.grad is not None
    assert model.plm_head.training  # generation switched back to train

    # equal rewards -> zero advantage -> zero loss
    model.scst_rewards = lambda cands, refs: torch.ones(len(refs), 3)
    assert float(model(**data, mode='loss')['loss_scst']) == 0.0


def test_scst_needs_a_cider_corpus_and_references(cider_file):
    with pytest.raises(ValueError, match='cider_ann_file'):
        build(scst=True)
    model = build(scst=True, scst_cfg=dict(cider_ann_file=cider_file))
    data = tiny_batch(model, views=1)
    with pytest.raises(KeyError, match='gt_caption'):
        model(**data, mode='loss')


def test_bad_generation_cfg():
    with pytest.raises(ValueError, match='min_length > max_length'):
        build(generation_cfg=dict(min_length=9, max_length=5))


def test_pretraining_checkpoint_loads_with_key_report(tmp_path, capsys):
    """A pre-training checkpoint (32 px) into a captioner at 48 px: the
    position embedding is interpolated, the other heads are reported as
    unexpected keys and a key the checkpoint lacks as missing."""
    from mmpretrain.models.utils import resize_pos_embed
    pre, model, out = load_tiny_pretraining_checkpoint(
        build, tmp_path, capsys,
        drop_key='plm_head.decoder.lm.cls.predictions.bias')
    assert 'missing keys in source state_dict: ' \
        'plm_head.decoder.lm.cls.predictions.bias' in out
    unexpected = out.split('unexpected key in source state_dict:')[1]
    for key in ('text_encoder.', 'itc_head.', 'momentum_vision.',
                'fusion_encoder.layers.0.'):
        assert key in unexpected
    assert 'vision_backbone.' not in unexpected
    # 4x4 -> 6x6 patches, bicubic, [CLS] kept
    expected = resize_pos_embed(pre.vision_backbone.pos_embed, (4, 4),
                                (6, 6), 'bicubic', 1)
    torch.testing.assert_close(model.vision_backbone.pos_embed, expected)
    torch.testing.assert_close(
        model.decoder.lm.bert.encoder.layer[0].crossattention.self.query
        .weight, pre.plm_head.decoder.lm.bert.encoder.layer[0]
        .crossattention.self.query.weight)


@pytest.mark.parametrize('name', [
    'semmim-caption_vit-b16_8xb64-ce-5e_coco.py',
    'semmim-caption_vit-b16_8xb32-scst-5e_coco.py',
    'semmim-caption_vit-b16_coco-ft_nocaps-val.py',
])
def test_coco_and_nocaps_configs_fine_tune_at_384px(name):
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'caption', name))
    assert cfg.model.vision_backbone.img_size == 384
    assert cfg.model.vision_backbone.patch_size == 16  # 24x24 patches
    resize = [t for t in cfg.test_dataloader.dataset.pipeline
              if t['type'] == 'Resize'][0]
    assert tuple(resize['scale']) == (384, 384)
    gen = cfg.model.generation_cfg
    assert (gen.num_beams, gen.min_length, gen.max_length) == (5, 8, 25)
