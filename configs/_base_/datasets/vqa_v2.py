# VQA v2 in ALBEF's JSON files (see docs/data_layout_vqa.md): fine-tuning
# on VQA v2 train + val and Visual Genome QA, answers for test-dev written
# in the evaluation server's format. 384 px, CLIP normalisation (in the
# model's data preprocessor).
data_root = 'data/vqa/'
img_size = 384

# ALBEF's crop (scale 0.5-1); its horizontal flip is left out (it would
# make "left"/"right" answers wrong) and so is its RandAugment (add
# mmpretrain's RandAugment here to follow ALBEF fully).
train_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.5, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='PreCaption', keys='question', max_words=50),
    dict(type='PackInputs',
         algorithm_keys=['question', 'gt_answer', 'gt_answer_weight'],
         meta_keys=['img_path', 'question_id']),
]
test_pipeline = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False,
         interpolation='bicubic', backend='pillow'),
    dict(type='PreCaption', keys='question', max_words=50),
    dict(type='PackInputs',
         algorithm_keys=['question', 'question_id', 'annotator_answers',
                         'answer_type', 'question_type'],
         meta_keys=['img_path']),
]
# image folders of the two sources named by the entries' "dataset" field;
# object labels / OCR tokens follow OFA's " object: ..." (the punctuation
# is dropped by PreCaption) when the annotation has them
dataset_args = dict(
    type='VQADataset',
    data_root=data_root,
    source_prefix=dict(vqa='images/coco/', vg='images/vg/'),
    extra_fields=dict(objects='object', ocr='ocr'))

train_dataloader = dict(
    drop_last=True,
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='ImageGroupedSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        **dataset_args,
        ann_file=[
            'annotations/vqa_train.json', 'annotations/vqa_val.json',
            'annotations/vg_qa.json'
        ],
        # ALBEF weights Visual Genome's single answers by 0.5
        single_answer_weight=0.5,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        **dataset_args,
        ann_file='annotations/vqa_test.json',
        test_mode=True,
        pipeline=test_pipeline))
# test-dev has no public answers: the metric writes the submission file
test_evaluator = dict(
    type='VQAMetric',
    result_file='work_dirs/vqa_results/vqa_test-dev_results.json')
test_cfg = dict()
