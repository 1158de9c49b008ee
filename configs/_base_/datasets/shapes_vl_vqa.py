# Shapes-VL visual question answering (see shapes_vl_pretrain.py): 4000
# training images with 5 questions each, 500 val / 500 test images; 10
# annotator answers per question, raw (e.g. "three" next to "3").
# Questions ask about colours, positions, counts, sizes and shapes, so the
# training augmentation is mild: no crop (it moves objects between the
# 3x3 position cells and can drop them from counts), no flip (left/right
# answers), no hue change (colour answers).
data_root = 'data/shapes_vl/'
img_size = 64

train_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False,
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomApply', prob=0.5, transforms=[
        dict(type='ColorJitter', brightness=0.2, contrast=0.2,
             saturation=0.0, hue=0.0)]),
    dict(type='PreCaption', keys='question', max_words=30),
    dict(type='PackInputs',
         algorithm_keys=['question', 'gt_answer', 'gt_answer_weight'],
         meta_keys=['img_path', 'question_id']),
]
test_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False,
         interpolation='bicubic', backend='pillow'),
    dict(type='PreCaption', keys='question', max_words=30),
    dict(type='PackInputs',
         algorithm_keys=['question', 'question_id', 'annotator_answers',
                         'answer_type', 'question_type'],
         meta_keys=['img_path']),
]

train_dataloader = dict(
    drop_last=True,
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    # all questions of an image in one batch: the model encodes it once
    sampler=dict(type='ImageGroupedSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VQADataset',
        data_root=data_root,
        ann_file='annotations/vqa_train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VQADataset',
        data_root=data_root,
        ann_file='annotations/vqa_val.json',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VQADataset',
        data_root=data_root,
        ann_file='annotations/vqa_test.json',
        test_mode=True,
        pipeline=test_pipeline))
# official accuracy per answer type, next to the most-frequent-answer and
# per-question-type-prior baselines of the training split
val_evaluator = dict(
    type='VQAMetric',
    prior_file=data_root + 'annotations/vqa_train.json')
test_evaluator = dict(
    type='VQAMetric',
    prior_file=data_root + 'annotations/vqa_train.json',
    per_question_type=True)
val_cfg = dict()
test_cfg = dict()
