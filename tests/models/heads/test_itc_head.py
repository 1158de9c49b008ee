import pytest
import torch
import torch.nn.functional as F

from semmim.models.heads import ITCHead


def feats(n, d=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(n, d, generator=g), dim=-1)


def naive_itc(i, t, i_m, t_m, qi, qt, temp, alpha):
    """ALBEF's loss written out row by row."""
    B = i.shape[0]
    ia, ta = torch.cat([i_m, qi]), torch.cat([t_m, qt])
    loss = 0
    for r in range(B):
        for q, cand, q_m in ((i[r], ta, i_m[r]), (t[r], ia, t_m[r])):
            logits = cand @ q / temp
            hard = torch.zeros(len(cand))
            hard[r] = 1
            soft = torch.softmax(cand @ q_m / temp, 0)
            target = alpha * soft + (1 - alpha) * hard
            loss = loss - (target * torch.log_softmax(logits, 0)).sum() / 2
    return loss / B


def test_loss_matches_naive_and_queue_wraps():
    head = ITCHead(embed_dims=8, proj_dims=8, queue_size=6, alpha=0.4)
    qi, qt = head.image_queue.clone(), head.text_queue.clone()
    i, t, i_m, t_m = (feats(4, seed=s) for s in range(4))
    out = head.loss(i, t, i_m, t_m)
    ref = naive_itc(i, t, i_m, t_m, qi, qt, head.temp.item(), 0.4)
    torch.testing.assert_close(out['loss_itc'], ref)
    assert {'loss_itc', 'acc_itc', 'itc_temp'} <= set(out)
    # 4 entries written from 0; the next 4 wrap around the end of 6
    assert int(head.queue_ptr) == 4
    head.loss(i, t, feats(4, seed=7), t_m)
    assert int(head.queue_ptr) == 2
    torch.testing.assert_close(head.image_queue[4:], feats(4, seed=7)[:2])
    torch.testing.assert_close(head.image_queue[:2], feats(4, seed=7)[2:])


def test_image_ids_make_all_captions_of_an_image_positive():
    head = ITCHead(embed_dims=8, proj_dims=8, queue_size=4, alpha=0.0,
                   use_image_ids=True)
    with pytest.raises(ValueError, match='image ids'):
        head.loss(*(feats(2, seed=s) for s in range(4)))
    idx = torch.tensor([7, 7, 3])
    f = feats(3)
    _, tgt = head.get_ground_truth(f, f, torch.cat([f, head.image_queue]),
                                   torch.cat([f, head.text_queue]), 0.0, idx)
    assert torch.allclose(tgt[0, :3], torch.tensor([0.5, 0.5, 0.]))
    head.loss(f, f, f, f, idx=idx)
    assert head.idx_queue[:3].tolist() == [7, 7, 3]


def test_online_batch_candidates_send_gradient_to_both_towers():
    head = ITCHead(embed_dims=8, proj_dims=8, queue_size=0,
                   batch_candidates='online', alpha=0.0)
    i = feats(4).requires_grad_(True)
    t = feats(4, seed=1).requires_grad_(True)
    out = head.loss(i, t, i.detach(), t.detach())
    # no queue: plain CLIP loss
    logits = i @ t.t() / head.temp
    ref = (F.cross_entropy(logits, torch.arange(4)) +
           F.cross_entropy(logits.t(), torch.arange(4))) / 2
    torch.testing.assert_close(out['loss_itc'], ref)
    out['loss_itc'].backward()
    assert i.grad.abs().sum() > 0 and t.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='batch_candidates'):
        ITCHead(batch_candidates='both')


def test_temperature_clamp():
    head = ITCHead(embed_dims=8, proj_dims=8, queue_size=4)
    with torch.no_grad():
        head.temp.fill_(5.)
    head.clamp_temperature()
    assert head.temp.item() == 0.5


@pytest.mark.parametrize('use_image_ids', [False, True])
def test_accuracy_counts_hard_positives_even_with_distillation(
        use_image_ids):
    # distilled targets are positive everywhere; the accuracy must still
    # count only the image's own caption(s)
    head = ITCHead(embed_dims=8, proj_dims=8, queue_size=0, alpha=0.4,
                   use_image_ids=use_image_ids)
    idx = torch.arange(4) if use_image_ids else None
    f = feats(4)
    right = head.loss(f, f, f, f, idx=idx)['acc_itc']
    # texts rolled by one: every image's best text belongs to another image
    wrong = head.loss(f, f.roll(1, 0), f, f.roll(1, 0), idx=idx)['acc_itc']
    assert float(right) == 100.0
    assert float(wrong) == 0.0
