# SemMIM on Shapes-VL, sized for a 2-core CPU (the demo): see
# configs/_base_/models/semmim_small.py for the model. Trained from scratch,
# so the ViT learns at the full rate (the 0.1 multiplier of the paper is
# for a pretrained CLIP ViT).
#   python tools/train.py configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py
_base_ = [
    '../_base_/models/semmim_small.py',
    '../_base_/datasets/shapes_vl_pretrain.py',
    '../_base_/schedules/semmim_pretrain_20e.py',
    '../_base_/default_runtime.py',
]

max_epochs = 4
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, fused=True),
    # no_decay_keys pinned to the value the demo's figures were measured
    # with; the full-size schedule also exempts embeddings, the [CLS] token
    # and the ITC temperature (docs/design.md, "Weight decay")
    paramwise_cfg=dict(lr_mult={'vision_backbone': 1.0},
                       no_decay_keys=('pos_embed', 'mask_token')),
    clip_grad=dict(max_norm=1.0))
# Trained from scratch for a few hundred steps instead of ~100k from
# pretrained encoders, two things change:
# * momentum copies must follow the online model within tens of steps
#   (half-life ~14 steps at 0.95);
# * ITC contrasts each batch with its own online features and no queue.
#   Encoders trained from scratch start with nearly identical features
#   (cosine ~0.999); against momentum features or a queue of them, the
#   easiest way to lower the loss is then to move all features away from
#   the stale ones together, and they collapse (see docs/design.md).
model = dict(
    itc_head=dict(batch_candidates='online', queue_size=0),
    teacher=dict(
        momentum=dict(momentum=0.95, end_momentum=1.0),
        towers_momentum=dict(momentum=0.95),
        # pinned to the masking the demo's figures were measured with; the
        # full-size default is 'fusion' (docs/design.md, "Text-guided
        # masking, measured")
        mask_similarity='itc'))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=2))
