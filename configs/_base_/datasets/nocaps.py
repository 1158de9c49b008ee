# NoCaps validation (4500 Open Images, 10 references each, in-, near- and
# out-of-domain with respect to COCO): one prediction per image, scored
# overall and per domain (see docs/data_layout_caption.md).
data_root = 'data/nocaps/'
img_size = 384

test_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False,
         interpolation='bicubic', backend='pillow'),
    dict(type='PackInputs', algorithm_keys=['image_id', 'domain'],
         meta_keys=['img_path']),
]
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CaptionDataset',
        data_root=data_root,
        # the official file: COCO format, images carry "domain"
        ann_file='annotations/nocaps_val_4500_captions.json',
        data_prefix='images/val',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=data_root + 'annotations/nocaps_val_4500_captions.json',
    prefix='nocaps')
test_cfg = dict(type='TestLoop')
