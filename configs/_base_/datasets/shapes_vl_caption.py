# Shapes-VL captions (see shapes_vl.py): 4000 training images with 5
# captions each (one sample per caption), 500 val and 500 test images with
# COCO-format ground truth. No crop (the captions say where objects are).
_base_ = './shapes_vl.py'

train_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    _base_.clean_caption,
    dict(type='PackInputs', algorithm_keys=['text', 'image_id'],
         meta_keys=['img_path']),
]
# self-critical training: one sample per image with all its references
scst_train_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    dict(type='PackInputs', algorithm_keys=['gt_caption', 'image_id'],
         meta_keys=['img_path']),
]
test_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    dict(type='PackInputs', algorithm_keys=['image_id'],
         meta_keys=['img_path']),
]

dataset_args = dict(type='CaptionDataset', data_root=_base_.data_root)
train_dataloader = dict(
    **_base_.train_loader,
    dataset=dict(**dataset_args, ann_file='annotations/caption_train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    _base_.test_loader,
    batch_size=100,
    dataset=dict(**dataset_args, ann_file='annotations/caption_val.json',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    _base_.test_loader,
    batch_size=100,
    dataset=dict(**dataset_args, ann_file='annotations/caption_test.json',
                 test_mode=True, pipeline=test_pipeline))
# every metric also for the most frequent training caption, for contrast
val_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=_base_.data_root + 'annotations/caption_val_gt.json',
    baseline_ann_file=_base_.data_root + 'annotations/caption_train.json')
test_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=_base_.data_root + 'annotations/caption_test_gt.json',
    baseline_ann_file=_base_.data_root + 'annotations/caption_train.json')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
