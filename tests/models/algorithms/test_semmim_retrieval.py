import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmpretrain.structures import DataSample

from semmim.registry import MODELS
from tests.conftest import (CAPTIONS, load_tiny_pretraining_checkpoint,
                            tiny_semmim_cfg)


def retrieval_cfg(**kw):
    base = tiny_semmim_cfg()
    cfg = dict(type='SemMIMRetrieval',
               data_preprocessor=base['data_preprocessor'],
               vision_backbone=base['vision_backbone'],
               text_encoder=base['text_encoder'],
               fusion_encoder=base['fusion_encoder'],
               itc_head=dict(base['itc_head'], use_image_ids=True),
               itm_head=base['itm_head'], topk=3, rerank_batch=5)
    cfg.update(kw)
    return cfg


def build(**kw):
    torch.manual_seed(0)
    model = MODELS.build(retrieval_cfg(**kw))
    model.init_weights()
    return model.eval()


def fake_feats(model, num_images=4, caps_per_image=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (num_images, 3, 32, 32), generator=g,
                           dtype=torch.uint8)
    samples = []
    for i in range(num_images):
        texts = [CAPTIONS[(i + j) % len(CAPTIONS)] + f' {j}'
                 for j in range(caps_per_image)]
        samples.append(DataSample(
            text=texts, image_idx=i,
            text_idx=list(range(i * caps_per_image,
                                (i + 1) * caps_per_image))))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples))
    return model(**data, mode='tensor')


def full_itm(model, feats):
    n_img, T = feats['image_feat'].shape[0], feats['text_feat'].shape[0]
    out = torch.empty(n_img, T)
    for i in range(n_img):
        out[i] = model.itm_scores(
            feats['image_embeds'][i:i + 1].expand(T, -1, -1),
            feats['text_embeds'], feats['text_mask'])
    return out


def test_full_k_equals_plain_itm_ranking():
    model = build(topk=8)
    feats = fake_feats(model)
    i2t, t2i = model.predict_all(feats)
    itm = full_itm(model, feats)
    torch.testing.assert_close(i2t, itm, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(t2i, itm.t(), rtol=1e-4, atol=1e-4)


def test_small_k_keeps_a_full_ranking():
    model = build(topk=1)
    feats = fake_feats(model)
    i2t, t2i = model.predict_all(feats)
    sims = feats['image_feat'] @ feats['text_feat'].t()
    for row, sim in zip(i2t, sims):
        order = row.argsort(descending=True)
        assert order[0] == sim.argmax()  # the one re-ranked candidate
        # the others follow in ITC order
        rest = sim[order[1:]]
        assert torch.equal(rest, rest.sort(descending=True).values)
    assert torch.isfinite(t2i).all()


def test_itc_only():
    model = build(topk=0)
    feats = fake_feats(model)
    assert 'image_embeds' not in feats
    i2t, t2i = model.predict_all(feats)
    torch.testing.assert_close(i2t, feats['image_feat'] @
                               feats['text_feat'].t())


def finetune_model_and_batch():
    """A model in training mode and a batch of 4 pairs of 2 images."""
    model = build().train()
    for ema in model.momentum_modules().values():
        ema.total_steps = 10
    samples = [DataSample(text=CAPTIONS[i % 2], image_id=i % 2)
               for i in range(4)]
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples),
                                   True)
    return model, data


def test_finetune_loss_uses_image_ids():
    model, data = finetune_model_and_batch()
    losses = model(**data, mode='loss')
    assert set(losses) >= {'loss_itc', 'loss_itm', 'acc_itm'}
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.vision_backbone.mask_token.grad is None
    # ids went into the queue
    assert set(model.itc_head.idx_queue[:4].tolist()) == {0, 1}


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _dist_worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    import semmim  # noqa: F401
    from semmim.utils import register_all_modules
    register_all_modules()
    model = build(topk=2)
    with torch.no_grad():
        feats = fake_feats(model, num_images=5)
        i2t, t2i = model.predict_all(feats)
    torch.save(dict(i2t=i2t, t2i=t2i), os.path.join(out_dir, f'{rank}.pth'))
    dist.destroy_process_group()


@pytest.mark.timeout(180)
def test_distributed_scores_equal_single_process(tmp_path):
    mp.spawn(_dist_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2,
             join=True)
    model = build(topk=2)
    with torch.no_grad():
        i2t, t2i = model.predict_all(fake_feats(model, num_images=5))
    for rank in range(2):
        out = torch.load(tmp_path / f'{rank}.pth')
        torch.testing.assert_close(out['i2t'], i2t)
        torch.testing.assert_close(out['t2i'], t2i)


def test_pretraining_checkpoint_loads_with_key_report(tmp_path, capsys):
    """A 32 px pre-training checkpoint into a 48 px retrieval model: the
    position embedding is interpolated (bicubic, [CLS] kept), the
    pre-training-only heads are reported as unexpected keys by name, a key
    the checkpoint lacks as missing."""
    from mmpretrain.models.utils import resize_pos_embed
    pre, model, out = load_tiny_pretraining_checkpoint(
        build, tmp_path, capsys, drop_key='itm_head.fc.bias')
    assert 'missing keys in source state_dict: itm_head.fc.bias' in out
    unexpected = out.split('unexpected key in source state_dict:')[1]
    for key in ('mlm_head.', 'plm_head.', 'mim_head.'):
        assert key in unexpected
    for key in ('vision_backbone.pos_embed', 'text_encoder.', 'itc_head.'):
        assert key not in unexpected
    expected = resize_pos_embed(pre.vision_backbone.pos_embed, (4, 4),
                                (6, 6), 'bicubic', 1)
    torch.testing.assert_close(model.vision_backbone.pos_embed, expected)
    torch.testing.assert_close(model.itm_head.fc.weight,
                               pre.itm_head.fc.weight)
