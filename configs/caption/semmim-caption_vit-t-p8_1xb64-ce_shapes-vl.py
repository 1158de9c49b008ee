# Captioning on Shapes-VL on a 2-core CPU: cross-entropy fine-tuning of the
# demo's pre-trained model (tools/demo.sh), then beam search on the test
# split, scored next to the most frequent training caption.
#   python tools/train.py configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py
#   python tools/test.py configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py \
#       work_dirs/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl/iter_160.pth
_base_ = [
    './_base_/semmim-caption_small.py',
    '../_base_/datasets/shapes_vl_caption.py',
    '../_base_/default_runtime.py',
]

load_from = 'work_dirs/demo/pretrain/last.pth'
# 160 steps of 64 captions (half of the 20K training captions, every image
# about 2.5 times): with the test, what fits the 10-minute CPU budget
max_iters = 160

model = dict(
    plm_head=dict(label_smoothing=0.1),
    generation_cfg=dict(min_length=2))

# The demo model was pre-trained for minutes, not days: everything trains
# at a high rate, the ViT included.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.02, fused=True),
    constructor='VLOptimWrapperConstructor',
    paramwise_cfg=dict(no_decay_keys=('pos_embed', )),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=0,
         end=max_iters),
]
train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
# validation costs a beam search over 500 images: test once at the end
val_dataloader = None
val_evaluator = None
val_cfg = None
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
