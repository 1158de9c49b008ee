import json

import pytest
import torch
from mmpretrain.structures import DataSample

from semmim.registry import MODELS
from tests.conftest import tiny_semmim_cfg

ANSWERS = ['yes', 'no', 'red', 'top left', '2', 'blue star']
QUESTIONS = [
    ('is there a red circle', ['yes', 'no'], [0.7, 0.3]),
    ('where is the star', ['top left'], [1.0]),
    ('how many shapes', ['2', 'two', 'yes'], [0.5, 0.4, 0.1]),
]


def vqa_cfg(**kw):
    base = tiny_semmim_cfg()
    cfg = dict(
        type='SemMIMVQA',
        data_preprocessor=dict(
            type='VLDataPreprocessor', max_length=16,
            text_fields=dict(question='question', gt_answer='answer')),
        vision_backbone=base['vision_backbone'],
        text_encoder=base['text_encoder'],
        fusion_encoder=base['fusion_encoder'],
        plm_head=base['plm_head'],
        answer_list=ANSWERS, rank_k=4, rank_batch=5, num_beams=3,
        max_length=5)
    cfg.update(kw)
    return cfg


def build(**kw):
    torch.manual_seed(0)
    model = MODELS.build(vqa_cfg(**kw))
    model.init_weights()
    return model


def batch(model, paths=('a.png', 'b.png', 'c.png'), training=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (len(paths), 3, 32, 32), generator=g,
                           dtype=torch.uint8)
    # samples with the same path get the same picture
    for i, p in enumerate(paths):
        images[i] = images[paths.index(p)]
    samples = []
    for i, p in enumerate(paths):
        q, answers, weights = QUESTIONS[i % len(QUESTIONS)]
        s = DataSample(question=q, gt_answer=answers,
                       gt_answer_weight=weights)
        s.set_metainfo(dict(img_path=p))
        samples.append(s)
    return model.data_preprocessor(
        dict(inputs=images, data_samples=samples), training)


def test_loss_is_the_weighted_answer_likelihood():
    model = build().train()
    data = batch(model)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_vqa'}
    assert torch.isfinite(losses['loss_vqa'])
    # naive: one decoder call per (question, answer)
    inputs = data['inputs']
    context, mask = model.encode(inputs, data['data_samples'])
    expected = 0
    for t, q in enumerate(inputs['answer_owner'].tolist()):
        n = int(inputs['answer_mask'][t].sum())
        nll, _ = model.plm_head.decoder.token_loss(
            inputs['answer_ids'][t:t + 1, :n],
            inputs['answer_mask'][t:t + 1, :n], context[q:q + 1],
            mask[q:q + 1], reduction='sum')
        weight = [w for _, _, ws in QUESTIONS for w in ws][t]
        expected = expected + weight * nll[0]
    torch.testing.assert_close(losses['loss_vqa'], expected / 3)


def test_gradients_reach_every_used_part():
    model = build().train()
    model(**batch(model), mode='loss')['loss_vqa'].backward()
    for part in ('vision_backbone.patch_embed', 'text_encoder',
                 'fusion_encoder', 'plm_head.decoder'):
        grads = [p.grad for n, p in model.named_parameters()
                 if n.startswith(part) and p.requires_grad]
        assert grads and any(g is not None and g.abs().sum() > 0
                             for g in grads), part
    assert not model.vision_backbone.mask_token.requires_grad


def test_shared_image_encoding_changes_nothing_but_cost():
    paths = ('a.png', 'a.png', 'b.png', 'a.png')
    shared, plain = build().eval(), build(share_image_encoding=False).eval()
    data = batch(shared, paths)
    first, inverse = shared.distinct_images(data['data_samples'], 4)
    assert first.tolist() == [0, 2] and inverse.tolist() == [0, 0, 1, 0]
    with torch.no_grad():
        a = shared(**data, mode='tensor')['context']
        b = plain(**data, mode='tensor')['context']
    torch.testing.assert_close(a, b)
    # no paths: every image is encoded
    assert shared.distinct_images([DataSample()] * 4, 4) == (None, None)


def test_generation_returns_short_answers():
    model = build().eval()
    data = batch(model, training=False)
    decoder = model.plm_head.decoder
    generate, generated = decoder.generate, []

    def spy(*args, **kwargs):
        generated.append(generate(*args, **kwargs))
        return generated[-1]

    decoder.generate = spy
    out = model(**data, mode='predict')
    assert len(out) == 3
    for s in out:
        assert isinstance(s.pred_answer, str)
    # max_length=5 counts the [CLS] start: at most 4 answer tokens. Counted
    # on the generated ids: re-tokenising the decoded text is not the same
    # (a random model may emit "[unused827]", which splits into 5 pieces)
    (ids,) = generated
    assert ids.shape[0] == 3 and 2 <= ids.shape[1] <= 5
    assert (ids[:, 0] == model.tokenizer.cls_token_id).all()


def test_greedy_generation_matches_a_naive_loop():
    model = build(num_beams=1, max_length=6, gen_kwargs=None).eval()
    data = batch(model, training=False)
    tok = model.tokenizer
    with torch.no_grad():
        context, mask = model.encode(data['inputs'], data['data_samples'])
        fast = model.plm_head.decoder.generate(
            context, mask, bos_id=tok.cls_token_id, eos_id=tok.sep_token_id,
            pad_id=tok.pad_token_id, num_beams=1, max_length=6,
            min_new_tokens=1, do_sample=False)
        for b in range(3):
            ids = torch.tensor([[tok.cls_token_id]])
            while ids.shape[1] < 6:
                logits = model.plm_head.decoder(
                    ids, torch.ones_like(ids), context[b:b + 1],
                    mask[b:b + 1])[0, -1]
                if ids.shape[1] == 1:  # min_new_tokens=1: no [SEP] first
                    logits[tok.sep_token_id] = -float('inf')
                ids = torch.cat([ids, logits.argmax().view(1, 1)], 1)
                if ids[0, -1] == tok.sep_token_id:
                    break
            n = ids.shape[1]
            assert fast[b, :n].tolist() == ids[0].tolist()


def naive_scores(model, context, mask):
    """Log-likelihood of every answer of the list, one at a time."""
    scores = torch.empty(context.shape[0], len(ANSWERS))
    for a, answer in enumerate(ANSWERS):
        enc = model.data_preprocessor.tokenize([answer])
        for q in range(context.shape[0]):
            nll, _ = model.plm_head.decoder.token_loss(
                enc['ids'], enc['mask'], context[q:q + 1], mask[q:q + 1],
                reduction='sum')
            scores[q, a] = -nll[0]
    return scores


def test_ranking_all_candidates_equals_naive_scoring():
    model = build(inference='rank', rank_k=len(ANSWERS)).eval()
    data = batch(model, training=False)
    with torch.no_grad():
        context, mask = model.encode(data['inputs'], data['data_samples'])
        answers, scores = model.rank_answers(context, mask)
        naive = naive_scores(model, context, mask)
    best = naive.max(1)
    assert answers == [ANSWERS[i] for i in best.indices.tolist()]
    torch.testing.assert_close(scores, best.values, rtol=1e-4, atol=1e-4)
    out = model(**data, mode='predict')
    assert [s.pred_answer for s in out] == answers


def test_ranking_scores_only_the_k_best_first_tokens():
    model = build(inference='rank', rank_k=2, rank_batch=4).eval()
    data = batch(model, training=False)
    tok = model.tokenizer
    with torch.no_grad():
        context, mask = model.encode(data['inputs'], data['data_samples'])
        answers, _ = model.rank_answers(context, mask)
        start = torch.full((3, 1), tok.cls_token_id)
        first = model.plm_head.decoder(start, torch.ones_like(start),
                                       context, mask)[:, 0]
        naive = naive_scores(model, context, mask)
    first_ids = [tok.convert_tokens_to_ids(tok.tokenize(a)[0])
                 for a in ANSWERS]
    for q in range(3):
        top2 = first[q, first_ids].topk(2).indices.tolist()
        expect = max(top2, key=lambda a: float(naive[q, a]))
        assert answers[q] == ANSWERS[expect]


def test_answer_list_from_a_json_file(tmp_path):
    path = tmp_path / 'answers.json'
    path.write_text(json.dumps(ANSWERS))
    model = build(inference='rank', answer_list=str(path))
    assert model.answer_list == ANSWERS
    path.write_text(json.dumps({'yes': 1}))
    with pytest.raises(ValueError, match='JSON list'):
        build(inference='rank', answer_list=str(path)).answer_list


@pytest.mark.parametrize('kw, message', [
    (dict(inference='beam'), 'inference must be one of'),
    (dict(inference='rank', answer_list=None), 'needs an answer_list'),
    (dict(max_length=1), 'max_length'),
])
def test_bad_arguments(kw, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(vqa_cfg(**kw))


def test_loss_without_answers_is_a_clear_error():
    model = build()
    data = batch(model)
    for k in ('answer_ids', 'answer_mask', 'answer_owner'):
        data['inputs'].pop(k)
    with pytest.raises(KeyError, match='gt_answer'):
        model(**data, mode='loss')


def test_a_pretraining_checkpoint_fills_every_vqa_weight():
    torch.manual_seed(1)
    pretrain = MODELS.build(tiny_semmim_cfg())
    model = build()
    result = model.load_state_dict(pretrain.state_dict(), strict=False)
    assert result.missing_keys == []
    assert any(k.startswith('itc_head') for k in result.unexpected_keys)
    torch.testing.assert_close(
        model.plm_head.decoder.lm.bert.embeddings.word_embeddings.weight,
        pretrain.plm_head.decoder.lm.bert.embeddings.word_embeddings.weight)


def test_a_lower_resolution_checkpoint_is_interpolated():
    """Fine-tuning at a higher resolution than pre-training (384 vs 224
    px): the position embedding of the checkpoint is resized on load."""
    torch.manual_seed(1)
    pretrain = MODELS.build(tiny_semmim_cfg())  # 32 px: 4 x 4 patches
    vb = dict(tiny_semmim_cfg()['vision_backbone'], img_size=48)
    model = build(vision_backbone=vb)  # 6 x 6 patches
    model.load_state_dict(pretrain.state_dict(), strict=False)
    assert model.vision_backbone.pos_embed.shape == (1, 1 + 36, 32)
    torch.testing.assert_close(model.vision_backbone.pos_embed[:, 0],
                               pretrain.vision_backbone.pos_embed[:, 0])
