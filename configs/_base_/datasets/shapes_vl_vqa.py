# Shapes-VL visual question answering (see shapes_vl.py): 4000 training
# images with 5 questions each, 500 val / 500 test images; 10 annotator
# answers per question, raw (e.g. "three" next to "3"). Questions ask about
# colours, positions, counts, sizes and shapes, so the training
# augmentation is mild: no crop (it moves objects between the 3x3 position
# cells and can drop them from counts), no flip (left/right answers), no
# hue change (colour answers).
_base_ = './shapes_vl.py'

clean_question = dict(type='PreCaption', keys='question', max_words=30)
train_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    dict(type='RandomApply', prob=0.5, transforms=[
        dict(type='ColorJitter', brightness=0.2, contrast=0.2,
             saturation=0.0, hue=0.0)]),
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

dataset_args = dict(type='VQADataset', data_root=_base_.data_root)
train_dataloader = dict(
    _base_.train_loader,
    # all questions of an image in one batch: the model encodes it once
    sampler=dict(type='ImageGroupedSampler', shuffle=True),
    dataset=dict(**dataset_args, ann_file='annotations/vqa_train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(**dataset_args, ann_file='annotations/vqa_val.json',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(**dataset_args, ann_file='annotations/vqa_test.json',
                 test_mode=True, pipeline=test_pipeline))
# official accuracy per answer type, next to the most-frequent-answer and
# per-question-type-prior baselines of the training split
val_evaluator = dict(
    type='VQAMetric',
    prior_file=_base_.data_root + 'annotations/vqa_train.json')
test_evaluator = dict(
    type='VQAMetric',
    prior_file=_base_.data_root + 'annotations/vqa_train.json',
    per_question_type=True)
val_cfg = dict()
test_cfg = dict()
