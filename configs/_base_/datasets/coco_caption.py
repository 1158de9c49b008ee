# COCO captions, Karpathy split, in BLIP's files (see
# docs/data_layout_caption.md): 113K training images (one sample per
# caption), 5K val and 5K test images scored against COCO-format ground
# truth. The images are data/coco/{train2014,val2014}/, the tree the
# retrieval and pre-training configs read too (docs/preparing_data.md).
_base_ = './finetune_384px.py'
data_root = 'data/coco/'

train_pipeline = [
    _base_.load_image,
    _base_.random_crop,
    _base_.random_flip,
    _base_.clean_caption,
    dict(type='PackInputs', algorithm_keys=['text', 'image_id'],
         meta_keys=['img_path']),
]
# self-critical training: one sample per image with all its references
scst_train_pipeline = [
    _base_.load_image,
    _base_.random_crop,
    _base_.random_flip,
    dict(type='PackInputs', algorithm_keys=['gt_caption', 'image_id'],
         meta_keys=['img_path']),
]
test_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    dict(type='PackInputs', algorithm_keys=['image_id'],
         meta_keys=['img_path']),
]

dataset_args = dict(type='CaptionDataset', data_root=data_root,
                    data_prefix='')
train_dataloader = dict(
    _base_.train_loader,
    batch_size=64,
    pin_memory=True,
    dataset=dict(**dataset_args,
                 ann_file='annotations/coco_karpathy_train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    _base_.test_loader,
    persistent_workers=True,
    dataset=dict(**dataset_args,
                 ann_file='annotations/coco_karpathy_val.json',
                 test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = dict(
    _base_.test_loader,
    persistent_workers=True,
    dataset=dict(**dataset_args,
                 ann_file='annotations/coco_karpathy_test.json',
                 test_mode=True,
                 pipeline=test_pipeline))
val_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=data_root + 'annotations/coco_karpathy_val_gt.json')
test_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=data_root + 'annotations/coco_karpathy_test_gt.json')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
