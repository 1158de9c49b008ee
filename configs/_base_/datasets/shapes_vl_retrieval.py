# Shapes-VL in Karpathy's retrieval format (see shapes_vl_pretrain.py).
data_root = 'data/shapes_vl/'
img_size = 64

train_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.7, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.2, hue=0.0)]),
    dict(type='PreCaption', keys='text', max_words=30),
    dict(type='PackInputs', algorithm_keys=['text', 'image_id'],
         meta_keys=['img_path']),
]
test_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False,
         interpolation='bicubic', backend='pillow'),
    dict(type='PreCaption', keys='text', max_words=30),
    dict(type='PackInputs', algorithm_keys=['text', 'image_idx', 'text_idx'],
         meta_keys=['img_path']),
]

train_dataloader = dict(
    drop_last=True,
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='RetrievalDataset',
        data_root=data_root,
        ann_file='annotations/retrieval_train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='RetrievalDataset',
        data_root=data_root,
        ann_file='annotations/retrieval_val.json',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='RetrievalDataset',
        data_root=data_root,
        ann_file='annotations/retrieval_test.json',
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(type='RetrievalRecallMetric', topk=(1, 5, 10))
test_evaluator = val_evaluator
val_cfg = dict(type='TwoStageRetrievalValLoop')
test_cfg = dict(type='TwoStageRetrievalTestLoop')
