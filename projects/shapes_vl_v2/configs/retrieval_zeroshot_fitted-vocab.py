# Zero-shot ITC retrieval on Shapes-VL v2 for checkpoints pre-trained with
# the fitted vocabulary (v2_fitted-vocab.py and the configs inheriting it).
_base_ = ('../../../configs/retrieval/'
          'semmim-retrieval_small_zeroshot-itc_shapes-vl-v2.py')

vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    text_encoder=dict(bert_cfg=vocab),
    fusion_encoder=dict(bert_cfg=vocab))
