# COCO captioning, CIDEr optimisation (SCST) for 5 more epochs after the
# cross-entropy stage (paper Section 4.4, following OSCAR): the CIDEr-D
# reward of 5 beam candidates per image, their mean reward as baseline,
# document frequencies from the training captions. mPLUG's schedule: lr
# 1e-6 cosine to 8e-8, 8 GPUs x 32 images.
#   bash tools/dist_train.sh configs/caption/semmim-caption_vit-b16_8xb32-scst-5e_coco.py 8
_base_ = ['./semmim-caption_vit-b16_8xb64-ce-5e_coco.py']

# the last epoch of the cross-entropy stage
load_from = 'work_dirs/semmim-caption_vit-b16_8xb64-ce-5e_coco/epoch_5.pth'
max_epochs = 5

model = dict(
    plm_head=dict(label_smoothing=0.0),
    scst=True,
    scst_cfg=dict(
        num_candidates=5,
        cider_ann_file='data/coco/annotations/coco_karpathy_train.json'))
# one sample per image with all its references
train_dataloader = dict(
    batch_size=32,
    dataset=dict(group_by_image=True,
                 pipeline={{_base_.scst_train_pipeline}}))
optim_wrapper = dict(optimizer=dict(lr=1e-6))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=8e-8, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256, enable=False)
