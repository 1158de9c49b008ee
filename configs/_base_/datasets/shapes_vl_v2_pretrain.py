# Shapes-VL v2 (generated with --world v2 into data/shapes_vl_v2, 64 px
# images): the v1 pipeline and loader of shapes_vl_pretrain.py on v2's
# annotations. See docs/shapes_vl_v2.md.
_base_ = './shapes_vl_pretrain.py'

data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
