# The v2 demo (configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py)
# with a vocabulary fitted to Shapes-VL v2 (72 tokens: BERT's special
# tokens and every word of v2's captions and questions, written by
# tools/dataset_converters/fit_vocab.py) instead of bert-base-uncased's
# 30522: the word embeddings and the MLM / PLM output projections shrink
# with it. Same tokenizer class, same word pieces for every v2 word.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'

vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    text_encoder=dict(bert_cfg=vocab),
    fusion_encoder=dict(bert_cfg=vocab),
    mlm_head=dict(bert_cfg=vocab),
    plm_head=dict(decoder=dict(bert_cfg=vocab)))
