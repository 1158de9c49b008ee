# NoCaps validation (4500 Open Images, 10 references each, in-, near- and
# out-of-domain with respect to COCO): one prediction per image, scored
# overall and per domain (see docs/data_layout_caption.md).
_base_ = './finetune_384px.py'
data_root = 'data/nocaps/'

test_pipeline = [
    _base_.load_image,
    _base_.resize_image,
    dict(type='PackInputs', algorithm_keys=['image_id', 'domain'],
         meta_keys=['img_path']),
]
test_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(
        type='CaptionDataset',
        data_root=data_root,
        # the official file: COCO format, images carry "domain"
        ann_file='annotations/nocaps_val_4500_captions.json',
        data_prefix='images/val',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='COCOCaptionMetric',
    ann_file=data_root + 'annotations/nocaps_val_4500_captions.json',
    prefix='nocaps')
test_cfg = dict(type='TestLoop')
