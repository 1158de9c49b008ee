# The v2 demo (configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py)
# with a vocabulary fitted to Shapes-VL v2 (72 tokens: BERT's special
# tokens and every word of v2's captions and questions, written by
# tools/dataset_converters/fit_vocab.py) instead of bert-base-uncased's
# 30522: the word embeddings and the MLM / PLM output projections shrink
# with it. Same tokenizer class, same word pieces for every v2 word.
# A step at batch 64 then costs 218.4 GFLOP with 30-token captions instead
# of 271.0 (tools/analysis_tools/get_flops.py), so 25 TFLOP buy 114 steps:
# 2 epochs of the first 3584 training images = 2 x 56 = 112 steps, <= 24.5
# TFLOP.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'

train_dataloader = dict(dataset=dict(indices=3584))

vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    text_encoder=dict(bert_cfg=vocab),
    fusion_encoder=dict(bert_cfg=vocab),
    mlm_head=dict(bert_cfg=vocab),
    plm_head=dict(decoder=dict(bert_cfg=vocab)))
