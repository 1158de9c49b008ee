# VQA on Shapes-VL v2 with the CPU-sized model and the 72-token vocabulary
# fitted to v2, fine-tuned from a checkpoint of the v2 demo
# (configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py): the text
# encoder, fusion encoder and answer decoder take its vocabulary, so every
# weight of the pre-training checkpoint loads shape for shape.
#   python tools/train.py configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py \
#       --cfg-options load_from=CKPT
#   python tools/test.py configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py \
#       work_dirs/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2/iter_500.pth
# The data of ../_base_/datasets/shapes_vl_v2_vqa.py (two bases may not
# share keys, so its overrides are repeated here; validation stays off).
_base_ = './semmim-vqa_vit-t-p8_1xb64_shapes-vl.py'

data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
test_evaluator = dict(prior_file=data_root + 'annotations/vqa_train.json')

load_from = 'work_dirs/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2/epoch_2.pth'
vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    text_encoder=dict(bert_cfg=vocab),
    fusion_encoder=dict(bert_cfg=vocab),
    plm_head=dict(decoder=dict(bert_cfg=vocab)),
    answer_list=data_root + 'annotations/answer_list.json')
