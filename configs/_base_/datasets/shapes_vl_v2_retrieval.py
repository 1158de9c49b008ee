# Shapes-VL v2 in Karpathy's retrieval format (see shapes_vl_v2_pretrain.py
# and shapes_vl_retrieval.py).
_base_ = './shapes_vl_retrieval.py'

data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
