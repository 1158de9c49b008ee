# The demo's SemMIM (semmim_vit-t-p8_1xb64-cpu_shapes-vl.py) on Shapes-VL v2
# (generate it with tools/dataset_converters/generate_shapes_vl.py
# --world v2), within 25 TFLOP of training in all (docs/shapes_vl_v2.md):
# * a vocabulary fitted to v2 (72 tokens: BERT's special tokens and every
#   word of v2's captions, questions and answers, written by
#   tools/dataset_converters/fit_vocab.py) instead of bert-base-uncased's
#   30522; same tokenizer class, same word pieces for every v2 word. The
#   word embeddings and the MLM / PLM output projections shrink with it, so
#   a step at batch 64 costs 218.4 GFLOP with 30-token captions instead of
#   271.0 (tools/analysis_tools/get_flops.py) and 25 TFLOP buy 114 steps:
#   2 epochs of the first 3584 training images = 2 x 56 = 112 steps.
#   python tools/train.py configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py
_base_ = './semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'

data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root, indices=3584))

vocab = dict(vocab_size=72)
model = dict(
    data_preprocessor=dict(tokenizer=dict(
        type='LocalBertTokenizer',
        name_or_path='pkg://semmim/datasets/shapes_vl/vocab_v2')),
    text_encoder=dict(bert_cfg=vocab),
    fusion_encoder=dict(bert_cfg=vocab),
    mlm_head=dict(bert_cfg=vocab),
    plm_head=dict(decoder=dict(bert_cfg=vocab)))

max_epochs = 2
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=5))
