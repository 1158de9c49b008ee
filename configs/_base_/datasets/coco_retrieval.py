# COCO Karpathy retrieval (5K test) in ALBEF's JSON files; layout in
# docs/data_layout_pretrain_retrieval.md.
_base_ = './finetune_384px.py'
data_root = 'data/'

train_pipeline = [
    _base_.load_image,
    _base_.random_crop,
    _base_.random_flip,
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

dataset_args = dict(type='RetrievalDataset', data_root=data_root,
                    data_prefix='coco/')
train_dataloader = dict(
    **_base_.train_loader,
    dataset=dict(
        **dataset_args,
        ann_file='annotations/retrieval/coco_karpathy_train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(
        **dataset_args,
        ann_file='annotations/retrieval/coco_karpathy_val.json',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(
        **dataset_args,
        ann_file='annotations/retrieval/coco_karpathy_test.json',
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(type='RetrievalRecallMetric', topk=(1, 5, 10))
test_evaluator = val_evaluator
val_cfg = dict(type='TwoStageRetrievalValLoop')
test_cfg = dict(type='TwoStageRetrievalTestLoop')
