# Zero-shot retrieval on the Shapes-VL v2 test split with the pre-trained
# ITC embeddings only (no fine-tuning, no ITM re-ranking), for checkpoints
# of configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py (the 72-token
# vocabulary fitted to v2).
#   python tools/test.py configs/retrieval/semmim-retrieval_small_zeroshot-itc_shapes-vl-v2.py CKPT
_base_ = ['./semmim-retrieval_small_zeroshot-itc_shapes-vl.py']

data_root = 'data/shapes_vl_v2/'
test_dataloader = dict(dataset=dict(data_root=data_root))

vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    text_encoder=dict(bert_cfg=vocab),
    fusion_encoder=dict(bert_cfg=vocab))
