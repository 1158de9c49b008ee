# COCO captions, Karpathy split, in BLIP's files (see
# docs/data_layout_caption.md): 113K training images (one sample per
# caption), 5K val and 5K test images scored against COCO-format ground
# truth. Fine-tuning resolution 384 px (paper Section 4.2). The images are
# data/coco/{train2014,val2014}/, the tree the retrieval and pre-training
# configs read too (docs/preparing_data.md).
data_root = 'data/coco/'
img_size = 384

train_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.5, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PreCaption', keys='text', max_words=30),
    dict(type='PackInputs', algorithm_keys=['text', 'image_id'],
         meta_keys=['img_path']),
]
# self-critical training: one sample per image with all its references
scst_train_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.5, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['gt_caption', 'image_id'],
         meta_keys=['img_path']),
]
test_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False,
         interpolation='bicubic', backend='pillow'),
    dict(type='PackInputs', algorithm_keys=['image_id'],
         meta_keys=['img_path']),
]

train_dataloader = dict(
    drop_last=True,
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CaptionDataset',
        data_root=data_root,
        ann_file='annotations/coco_karpathy_train.json',
        data_prefix='',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CaptionDataset',
        data_root=data_root,
        ann_file='annotations/coco_karpathy_val.json',
        data_prefix='',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CaptionDataset',
        data_root=data_root,
        ann_file='annotations/coco_karpathy_test.json',
        data_prefix='',
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=data_root + 'annotations/coco_karpathy_val_gt.json')
test_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=data_root + 'annotations/coco_karpathy_test_gt.json')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
