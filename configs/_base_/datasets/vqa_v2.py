# VQA v2 in ALBEF's JSON files (see docs/data_layout_vqa.md): fine-tuning
# on VQA v2 train + val and Visual Genome QA, answers for test-dev written
# in the evaluation server's format. 384 px, CLIP normalisation (in the
# model's data preprocessor).
_base_ = './finetune_384px.py'
data_root = 'data/vqa/'

# ALBEF's crop (scale 0.5-1); its horizontal flip is left out (it would
# make "left"/"right" answers wrong) and so is its RandAugment (add
# mmpretrain's RandAugment here to follow ALBEF fully).
clean_question = dict(type='PreCaption', keys='question', max_words=50)
train_pipeline = [
    _base_.load_image,
    _base_.random_crop,
    clean_question,
    dict(type='PackInputs',
         algorithm_keys=['question', 'gt_answer', 'gt_answer_weight'],
         meta_keys=['img_path', 'question_id']),
]
test_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    clean_question,
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
    _base_.train_loader,
    sampler=dict(type='ImageGroupedSampler', shuffle=True),
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
    **_base_.test_loader,
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
