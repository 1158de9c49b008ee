import torch

from semmim.models.utils.prefix_split import split_prefix, word_start_table
from semmim.models.utils.tokenizer import LocalBertTokenizer


def test_split_prefix_reassembles_caption_at_word_boundaries():
    tok = LocalBertTokenizer()
    caps = ['a large red circle to the left of a small blue square',
            'two shapes', 'unbelievably tiny ellipsoids', '']
    enc = tok(caps, padding='longest', return_tensors='pt')
    ids, mask = enc['input_ids'], enc['attention_mask']
    table = word_start_table(tok)
    for seed in range(20):
        g = torch.Generator().manual_seed(seed)
        p_ids, p_mask, t_ids, t_mask, split = split_prefix(
            ids, mask, table, tok.cls_token_id, tok.sep_token_id,
            tok.pad_token_id, generator=g)
        for i in range(len(caps)):
            n = int(mask[i].sum())
            pre = p_ids[i][p_mask[i].bool()].tolist()
            tgt = t_ids[i][t_mask[i].bool()].tolist()
            assert pre[0] == tok.cls_token_id and pre[-1] == tok.sep_token_id
            assert tgt[0] == tok.cls_token_id and tgt[-1] == tok.sep_token_id
            # prefix content + target content = the caption's tokens
            assert pre[:-1] + tgt[1:] == ids[i, :n].tolist()
            # the target starts at a whole word (never a ## piece)
            if n > 2:
                assert table[tgt[1]]
            # padding after the real tokens
            assert (p_ids[i][~p_mask[i].bool()] == tok.pad_token_id).all()
            assert (t_ids[i][~t_mask[i].bool()] == tok.pad_token_id).all()


def test_split_positions_cover_all_words():
    tok = LocalBertTokenizer()
    enc = tok(['one two three four'], return_tensors='pt')
    table = word_start_table(tok)
    seen = set()
    for seed in range(200):
        split = split_prefix(enc['input_ids'], enc['attention_mask'], table,
                             101, 102, 0,
                             generator=torch.Generator().manual_seed(seed))[4]
        seen.add(int(split))
    assert seen == {1, 2, 3, 4}
