# Shapes-VL v2 for captioning (see shapes_vl_v2_pretrain.py and
# shapes_vl_caption.py).
_base_ = './shapes_vl_caption.py'

data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_evaluator = dict(
    ann_file=data_root + 'annotations/caption_val_gt.json',
    baseline_ann_file=data_root + 'annotations/caption_train.json')
test_evaluator = dict(
    ann_file=data_root + 'annotations/caption_test_gt.json',
    baseline_ann_file=data_root + 'annotations/caption_train.json')
