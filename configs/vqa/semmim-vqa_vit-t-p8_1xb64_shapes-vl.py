# VQA on Shapes-VL with the CPU-sized model, fine-tuned from the demo's
# Shapes-VL pre-training checkpoint (tools/demo.sh), then answered by beam
# search on the test split:
#   python tools/train.py \
#       configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl.py
#   python tools/test.py configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl.py \
#       work_dirs/semmim-vqa_vit-t-p8_1xb64_shapes-vl/iter_500.pth
# The test prints the official accuracy per answer type next to the
# most-frequent-answer and per-question-type-prior baselines.
# Answer-list ranking instead of generation:
#   --cfg-options model.inference=rank
_base_ = [
    './_base_/semmim-vqa_small.py',
    '../_base_/datasets/shapes_vl_vqa.py',
    '../_base_/default_runtime.py',
]

load_from = 'work_dirs/demo/pretrain/last.pth'
# for inference='rank': the 41 answers; the 16 likeliest first tokens are
# scored in full
model = dict(
    answer_list='data/shapes_vl/annotations/answer_list.json', rank_k=16)

# 500 steps of 64 questions (1.6 passes over the 20K training questions,
# about 0.7 s a step on 1 core): with the test, about 7 minutes
max_iters = 500
# The demo model was pre-trained for minutes: everything, the ViT included,
# fine-tunes at a high rate.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=0.02, fused=True),
    constructor='VLOptimWrapperConstructor',
    paramwise_cfg=dict(no_decay_keys=('pos_embed', )),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=False, begin=0,
         end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
# validation costs a beam search over 2,500 questions: test once at the end
val_dataloader = None
val_evaluator = None
val_cfg = None
custom_hooks = [dict(type='BadSampleLoggerHook')]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
