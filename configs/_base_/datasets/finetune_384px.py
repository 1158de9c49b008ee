# What the full-size fine-tuning data share (COCO and Flickr30K retrieval,
# COCO captions, NoCaps, VQA v2): 384 px images (paper Section 4.2), ALBEF's
# training crop (scale 0.5-1) and the test-time resize. The task bases
# inherit this file and build their pipelines from these steps
# (`_base_.step`); each sets its own data_root.
img_size = 384

load_image = dict(type='LoadImageOrSkip', imdecode_backend='pillow')
random_crop = dict(type='RandomResizedCrop', scale=img_size,
                   crop_ratio_range=(0.5, 1.0), interpolation='bicubic',
                   backend='pillow')
random_flip = dict(type='RandomFlip', prob=0.5, direction='horizontal')
resize_image = dict(type='Resize', scale=(img_size, img_size),
                    keep_ratio=False, interpolation='bicubic',
                    backend='pillow')
clean_caption = dict(type='PreCaption', keys='text', max_words=30)

# the loaders' common settings; each task adds its dataset
train_loader = dict(
    drop_last=True,
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
test_loader = dict(
    batch_size=64,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
