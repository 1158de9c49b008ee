# Shapes-VL v2 captioning on a 2-core CPU: the v1 recipe
# (semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py: cross-entropy fine-tuning,
# then beam search on the test split, scored next to the most frequent
# training caption) on v2 (docs/shapes_vl_v2.md) with the 72-token
# vocabulary fitted to it (fusion encoder and caption decoder), for
# checkpoints of configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py.
#   python tools/train.py configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2.py \
#       --cfg-options load_from=CKPT
#   python tools/test.py configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2.py \
#       work_dirs/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2/iter_160.pth
_base_ = ['./semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py']

# the data of ../_base_/datasets/shapes_vl_v2_caption.py
data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
test_evaluator = dict(
    ann_file=data_root + 'annotations/caption_test_gt.json',
    baseline_ann_file=data_root + 'annotations/caption_train.json')

vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    fusion_encoder=dict(bert_cfg=vocab),
    plm_head=dict(decoder=dict(bert_cfg=vocab)))
