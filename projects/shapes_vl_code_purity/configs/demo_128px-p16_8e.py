_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
# Shapes-VL at its native 128 px with 16 px patches: the same 8 x 8 tokens,
# twice the pixels per object edge (asks whether resolution is what keeps
# shape from being learned). 8 epochs. The pipelines are restated because
# the base computes them from img_size.
img_size = 128
blur_range = (0.06, 1.2)
max_epochs = 8
model = dict(vision_backbone=dict(img_size=128, patch_size=16))
view1_pipeline = [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.7, 1.0),
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.2, hue=0.0)]),
    dict(type='GaussianBlur', magnitude_range=blur_range, magnitude_std='inf',
         prob=1.0),
]
view2_pipeline = [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.7, 1.0),
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.2, hue=0.0)]),
    dict(type='GaussianBlur', magnitude_range=blur_range, magnitude_std='inf',
         prob=0.1),
]
train_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='MultiView', num_views=[1, 1],
         transforms=[view1_pipeline, view2_pipeline]),
    dict(type='PreCaption', keys='text', max_words=30),
    dict(type='PackInputs', algorithm_keys=['text'],
         meta_keys=['img_path', 'sample_idx']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=4))
