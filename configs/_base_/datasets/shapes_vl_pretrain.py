# Shapes-VL pre-training: the two-view augmentation
# (docs/design.md#augmentation) scaled to 64 px images, with three changes
# because the captions name colours and positions: no horizontal flip, no
# grayscale and no solarisation, and crops of at least 70% of the image
# (positions, object counts).
_base_ = './shapes_vl.py'

# DINO's blur radius range (0.1, 2.0) is for 224 px images; scaled to 64 px
blur_range = (0.03, 0.6)

view1_pipeline = [
    _base_.random_crop,
    _base_.color_jitter,
    dict(type='GaussianBlur', magnitude_range=blur_range,
         magnitude_std='inf', prob=1.0),
]
view2_pipeline = [
    _base_.random_crop,
    _base_.color_jitter,
    dict(type='GaussianBlur', magnitude_range=blur_range,
         magnitude_std='inf', prob=0.1),
]
train_pipeline = [
    _base_.load_image,
    dict(type='MultiView', num_views=[1, 1],
         transforms=[view1_pipeline, view2_pipeline]),
    _base_.clean_caption,
    dict(type='PackInputs', algorithm_keys=['text'],
         meta_keys=['img_path', 'sample_idx']),
]

train_dataloader = dict(
    **_base_.train_loader,
    dataset=dict(
        type='ImageTextDataset',
        data_root=_base_.data_root,
        ann_file='annotations/pretrain_train.json',
        pipeline=train_pipeline))
