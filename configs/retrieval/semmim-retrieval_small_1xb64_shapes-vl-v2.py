# Shapes-VL v2 retrieval on a 2-core CPU: the v1 recipe
# (semmim-retrieval_small_1xb64_shapes-vl.py: ITC + ITM fine-tuning, then
# ITC for all test pairs and the 16 best of each query re-ranked by ITM,
# printed next to the recall of a random ranking) on v2 (docs/shapes_vl_v2.md)
# with the 72-token vocabulary fitted to it, for checkpoints of
# configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py.
#   python tools/train.py configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl-v2.py \
#       --cfg-options load_from=CKPT
#   python tools/test.py configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl-v2.py \
#       work_dirs/semmim-retrieval_small_1xb64_shapes-vl-v2/iter_200.pth
_base_ = ['./semmim-retrieval_small_1xb64_shapes-vl.py']

# the data of ../_base_/datasets/shapes_vl_v2_retrieval.py
data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))

vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    text_encoder=dict(bert_cfg=vocab),
    fusion_encoder=dict(bert_cfg=vocab))
