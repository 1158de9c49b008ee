# Shapes-VL in Karpathy's retrieval format (see shapes_vl.py).
_base_ = './shapes_vl.py'

train_pipeline = [
    _base_.load_image,
    _base_.random_crop,
    _base_.color_jitter,
    _base_.clean_caption,
    dict(type='PackInputs', algorithm_keys=['text', 'image_id'],
         meta_keys=['img_path']),
]
test_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    _base_.clean_caption,
    dict(type='PackInputs', algorithm_keys=['text', 'image_idx', 'text_idx'],
         meta_keys=['img_path']),
]

dataset_args = dict(type='RetrievalDataset', data_root=_base_.data_root)
train_dataloader = dict(
    **_base_.train_loader,
    dataset=dict(**dataset_args, ann_file='annotations/retrieval_train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(**dataset_args, ann_file='annotations/retrieval_val.json',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(**dataset_args, ann_file='annotations/retrieval_test.json',
                 test_mode=True, pipeline=test_pipeline))
val_evaluator = dict(type='RetrievalRecallMetric', topk=(1, 5, 10))
test_evaluator = val_evaluator
val_cfg = dict(type='TwoStageRetrievalValLoop')
test_cfg = dict(type='TwoStageRetrievalTestLoop')
