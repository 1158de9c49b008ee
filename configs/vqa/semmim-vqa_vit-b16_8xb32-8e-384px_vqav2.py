# VQA v2 fine-tuning of the pre-trained SemMIM (docs/design.md#downstream-tasks) at 384 px on VQA v2
# train + val + Visual Genome QA, answers for test-dev by beam search
# (beam 5, at most 10 tokens), written in the evaluation server's format.
#   bash tools/dist_train.sh \
#       configs/vqa/semmim-vqa_vit-b16_8xb32-8e-384px_vqav2.py 8 \
#       --cfg-options load_from=work_dirs/pretrain_4m/epoch_20.pth
#   bash tools/dist_test.sh \
#       configs/vqa/semmim-vqa_vit-b16_8xb32-8e-384px_vqav2.py \
#       work_dirs/semmim-vqa_vit-b16_8xb32-8e-384px_vqav2/epoch_8.pth 8
# then upload work_dirs/vqa_results/vqa_test-dev_results.json to EvalAI.
# The schedule follows ALBEF/mPLUG's VQA fine-tuning (AdamW, lr 2e-5,
# weight decay 0.02, 8 epochs, cosine to 1e-6, batch 256); the ViT learns
# at a quarter of that rate (a choice, as pre-training's lower ViT rate).
_base_ = [
    './_base_/semmim-vqa_vit-b16_bert-base.py',
    '../_base_/datasets/vqa_v2.py',
    '../_base_/default_runtime.py',
]

load_from = 'work_dirs/pretrain_4m/epoch_20.pth'

max_epochs = 8
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.02, fused=True),
    constructor='VLOptimWrapperConstructor',
    paramwise_cfg=dict(
        lr_mult={'vision_backbone': 0.25}, no_decay_keys=('pos_embed', )))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_dataloader = None
val_evaluator = None
val_cfg = None
custom_hooks = [dict(type='BadSampleLoggerHook')]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
# 8 GPUs x 32 questions
auto_scale_lr = dict(base_batch_size=256, enable=False)
