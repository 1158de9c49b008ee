# The demo's SemMIM (semmim_vit-t-p8_1xb64-cpu_shapes-vl.py) on Shapes-VL v2
# (generate it with tools/dataset_converters/generate_shapes_vl.py
# --world v2), within 25 TFLOP of training in all. A step at batch 64
# costs 263 GFLOP with 30-token captions (semmim/utils/flops.py; v2
# captions pad to 28-30 tokens in every batch), so 25 TFLOP buy 95 steps:
# 2 epochs of the first 3000 training images = 2 x 46 = 92 steps, 24.2
# TFLOP (see docs/shapes_vl_v2.md).
#   python tools/train.py configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py
_base_ = './semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'

data_root = 'data/shapes_vl_v2/'
train_dataloader = dict(dataset=dict(data_root=data_root, indices=3000))

max_epochs = 2
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=5))
