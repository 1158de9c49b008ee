# COCO captioning (Karpathy split), cross-entropy fine-tuning of a SemMIM
# pre-training checkpoint at 384 px (paper Section 4.2/4.4; mPLUG's
# schedule: AdamW, weight decay 0.02, 1e-5 with the ViT at half of it,
# cosine to 1e-6 over 5 epochs, label smoothing 0.1; 8 GPUs x 64).
#   bash tools/dist_train.sh configs/caption/semmim-caption_vit-b16_8xb64-ce-5e_coco.py 8
#   bash tools/dist_test.sh configs/caption/semmim-caption_vit-b16_8xb64-ce-5e_coco.py CKPT 8
_base_ = [
    './_base_/semmim-caption_vit-b16_bert-base.py',
    '../_base_/datasets/coco_caption.py',
    '../_base_/default_runtime.py',
]

# the pre-training run of configs/semmim/pretrain_4m.py; MMEngine logs the
# keys that do not match (the pre-training heads and momentum copies are
# "unexpected", the fusion layers too: only the decoder is used)
load_from = 'work_dirs/pretrain_4m/epoch_20.pth'
max_epochs = 5

model = dict(
    vision_backbone=dict(img_size=384),  # pos. embeddings 14x14 -> 24x24
    plm_head=dict(label_smoothing=0.1))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-5, weight_decay=0.02, fused=True),
    constructor='VLOptimWrapperConstructor',
    paramwise_cfg=dict(
        lr_mult={'vision_backbone': 0.5}, no_decay_keys=('pos_embed', )))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=2,
                    save_best='caption/CIDEr', rule='greater'))
auto_scale_lr = dict(base_batch_size=512, enable=False)
