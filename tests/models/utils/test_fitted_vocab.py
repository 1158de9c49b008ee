"""Tests of the vocabulary fitted to Shapes-VL v2 (#21, item 3).

A fitted vocabulary must tokenise every text of its world into the same
words as BERT's uncased vocabulary does (no [UNK], one piece a word), and
the model built from a config that uses it must size its word embeddings
and output projections by it.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from semmim.datasets.shapes_vl import world_v2 as v2
from semmim.models.utils.tokenizer import (SPECIAL_TOKENS, LocalBertTokenizer,
                                           fit_word_vocab, write_vocab)
from semmim.registry import MODELS
from semmim.utils import register_all_modules, resolve_path

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
V2_VOCAB = 'pkg://semmim/datasets/shapes_vl/vocab_v2'
PRETRAIN_CFG = 'projects/shapes_vl_v2/configs/v2_fitted-vocab.py'
RETRIEVAL_CFG = ('projects/shapes_vl_v2/configs/'
                 'retrieval_zeroshot_fitted-vocab.py')


def _v2_texts(seed: int, num_scenes: int):
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(num_scenes):
        scene = v2.sample_scene(rng)
        texts += v2.generate_captions(scene, rng)
        for q in v2.generate_questions(scene, rng):
            texts += [q['question'], q['answer'], *q['answers']]
    return texts


def test_fit_word_vocab_and_tokenizer(tmp_path):
    texts = ['A red circle, at the top.', 'is there a box?', 'red box']
    tokens = fit_word_vocab(texts)
    assert tokens[:len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS)
    words = tokens[len(SPECIAL_TOKENS):]
    assert words == sorted(set(words))
    assert set(words) == {'a', 'red', 'circle', ',', 'at', 'the', 'top',
                          '.', 'is', 'there', 'box', '?'}
    write_vocab(tokens, str(tmp_path / 'vocab.txt'))
    tok = LocalBertTokenizer(str(tmp_path))
    assert len(tok) == len(tokens)
    assert (tok.pad_token_id, tok.unk_token_id, tok.cls_token_id,
            tok.sep_token_id, tok.mask_token_id) == (0, 1, 2, 3, 4)
    ids = tok('A red circle, at the top.')['input_ids']
    assert tok.convert_ids_to_tokens(ids) == [
        '[CLS]', 'a', 'red', 'circle', ',', 'at', 'the', 'top', '.',
        '[SEP]']
    # a word outside the vocabulary is [UNK], not split into pieces
    assert tok('a green box')['input_ids'][1:-1] == [
        tokens.index('a'), tok.unk_token_id, tokens.index('box')]
    with pytest.raises(ValueError, match='vocab.txt'):
        write_vocab(['[PAD]', 'two words\n'], str(tmp_path / 'vocab.txt'))


def test_v2_vocab_covers_the_world():
    """Captions, questions and answers of scenes drawn with seeds the
    shipped vocabulary was not fitted on: no [UNK], and the same words as
    the bert-base-uncased vocabulary gives (each one whole piece)."""
    fitted = LocalBertTokenizer(V2_VOCAB)
    bert = LocalBertTokenizer()
    texts = _v2_texts(seed=12345, num_scenes=300)
    enc = fitted(texts)['input_ids']
    ref = bert(texts)['input_ids']
    for text, ids, ref_ids in zip(texts, enc, ref):
        assert fitted.unk_token_id not in ids, text
        assert (fitted.convert_ids_to_tokens(ids)
                == bert.convert_ids_to_tokens(ref_ids)), text
    # and the fitted vocabulary is exactly the specials + the world's words
    with open(osp.join(resolve_path(V2_VOCAB), 'vocab.txt')) as f:
        shipped = f.read().split('\n')[:-1]
    assert shipped[:len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS)
    used = set(fit_word_vocab(texts))
    assert used <= set(shipped)
    assert len(shipped) == len(set(shipped))


def test_model_vocab_follows_the_fitted_vocab():
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, PRETRAIN_CFG))
    model = MODELS.build(cfg.model)
    n = len(model.tokenizer)
    assert n == len(LocalBertTokenizer(V2_VOCAB))
    assert model.text_encoder.word_embeddings.num_embeddings == n
    assert model.mlm_head.cls.predictions.decoder.out_features == n
    dec = model.plm_head.decoder
    assert dec.word_embeddings.num_embeddings == n
    assert dec.lm.get_output_embeddings().out_features == n
    # the retrieval model that loads its checkpoints has the same sizes
    ret = MODELS.build(Config.fromfile(osp.join(ROOT, RETRIEVAL_CFG)).model)
    assert len(ret.tokenizer) == n
    assert ret.text_encoder.word_embeddings.num_embeddings == n
    own = {k: v.shape for k, v in ret.state_dict().items()}
    pre = model.state_dict()
    shared = [k for k in own if k in pre]
    assert any('word_embeddings' in k for k in shared)
    assert all(pre[k].shape == own[k] for k in shared)


def test_semmim_refuses_a_vocab_larger_than_its_embeddings():
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, PRETRAIN_CFG))
    cfg.model.text_encoder.bert_cfg.vocab_size = 50
    with pytest.raises(ValueError, match='vocab_size'):
        MODELS.build(cfg.model)


def test_dummy_text_draws_words_of_a_fitted_vocab():
    from semmim.utils.flops import dummy_text
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, PRETRAIN_CFG))
    model = MODELS.build(cfg.model)
    ids, mask = dummy_text(model, 4, 12)
    tok = model.tokenizer
    inner = ids[:, 1:-1]
    assert bool((inner > max(tok.all_special_ids)).all())
    assert bool((inner < len(tok)).all()) and bool(mask.all())
    assert torch.equal(ids[:, 0], torch.full((4, ), tok.cls_token_id))


def test_fit_vocab_tool(tmp_path):
    import json
    import sys
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    try:
        from fit_vocab import main
    finally:
        sys.path.pop(0)
    ann = tmp_path / 'annotations'
    ann.mkdir()
    (ann / 'pretrain.json').write_text(json.dumps(
        [dict(image='a.png', caption=['A red box', 'a box.'])]))
    (ann / 'vqa.json').write_text(json.dumps(
        [dict(question='is it blue?', answer=['yes', 'yeah'])]))
    (ann / 'answer_list.json').write_text(json.dumps(['no']))
    (ann / 'meta.json').write_text(json.dumps(dict(caption='ignored')))
    out = tmp_path / 'vocab' / 'vocab.txt'
    assert main(['--data-root', str(tmp_path), '--out', str(out)]) == 0
    assert out.read_text().split('\n')[:-1] == list(SPECIAL_TOKENS) + [
        '.', '?', 'a', 'blue', 'box', 'is', 'it', 'no', 'red', 'yeah', 'yes']
    (ann / 'bad.json').write_text(json.dumps([dict(caption=3)]))
    with pytest.raises(ValueError, match="bad.json: entry 0, field 'c"):
        main(['--data-root', str(tmp_path), '--out', str(out)])
