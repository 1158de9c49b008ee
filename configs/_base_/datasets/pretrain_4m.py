# COCO + Visual Genome + CC3M + SBU in ALBEF's JSON format (4M images,
# 5.1M captions); docs/preparing_data.md makes it from the official files.
data_root = 'data/'

# Two views per image (paper Section 3; docs/design.md, "Two views"):
# view 1 feeds only the momentum teacher's [CLS] target (L_cls) and keeps
# DINO's full strength (flip, colour jitter, grayscale, blur). View 2 feeds
# the online student: ITC, ITM, MLM, PLM and the masked, text-injected pass,
# which all read the caption with the image, so it keeps captions true as
# ALBEF / mPLUG do: no colour jitter, grayscale or solarisation (colour
# words) and no flip (left/right words); crop and a light blur only.
view1_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.4, 1.0),
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.2, hue=0.0)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=1.0),
]
view2_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.4, 1.0),
         interpolation='bicubic', backend='pillow'),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=0.1),
]
train_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='MultiView', num_views=[1, 1],
         transforms=[view1_pipeline, view2_pipeline]),
    dict(type='PreCaption', keys='text', max_words=30),
    dict(type='PackInputs', algorithm_keys=['text'],
         meta_keys=['img_path', 'sample_idx']),
]

train_dataloader = dict(
    drop_last=True,
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ImageTextDataset',
        data_root=data_root,
        # COCO + VG + CC3M + SBU in one list, assembled from whichever the
        # user has by tools/dataset_converters/pretrain_4m.py, which also
        # says how far it is from the paper's 4M images
        # (docs/preparing_data.md). ALBEF's five files work as well: put
        # them in annotations/pretrain/ and run the same command.
        ann_file='annotations/pretrain/pretrain_4m.json',
        data_prefix='',
        pipeline=train_pipeline))
