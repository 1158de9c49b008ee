# Shapes-VL v2 for VQA (see shapes_vl_v2_pretrain.py and shapes_vl_vqa.py).
_base_ = './shapes_vl_vqa.py'

data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_evaluator = dict(prior_file=data_root + 'annotations/vqa_train.json')
test_evaluator = dict(prior_file=data_root + 'annotations/vqa_train.json')
