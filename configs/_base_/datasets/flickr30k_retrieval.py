# Flickr30K retrieval (1K test) in ALBEF's JSON files; layout in README.
data_root = 'data/'
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
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='RetrievalDataset',
        data_root=data_root,
        ann_file='annotations/retrieval/flickr30k_train.json',
        data_prefix='flickr30k/',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='RetrievalDataset',
        data_root=data_root,
        ann_file='annotations/retrieval/flickr30k_val.json',
        data_prefix='flickr30k/',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='RetrievalDataset',
        data_root=data_root,
        ann_file='annotations/retrieval/flickr30k_test.json',
        data_prefix='flickr30k/',
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(type='RetrievalRecallMetric', topk=(1, 5, 10))
test_evaluator = val_evaluator
val_cfg = dict(type='TwoStageRetrievalValLoop')
test_cfg = dict(type='TwoStageRetrievalTestLoop')
