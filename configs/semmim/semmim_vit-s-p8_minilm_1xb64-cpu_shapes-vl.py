# SemMIM on Shapes-VL, sized for a 2-core CPU (the demo): see
# configs/_base_/models/semmim_small.py for the model.
#   python tools/train.py configs/semmim/semmim_vit-s-p8_minilm_1xb64-cpu_shapes-vl.py
_base_ = [
    '../_base_/models/semmim_small.py',
    '../_base_/datasets/shapes_vl_pretrain.py',
    '../_base_/schedules/semmim_pretrain_20e.py',
    '../_base_/default_runtime.py',
]

max_epochs = 8
optim_wrapper = dict(optimizer=dict(lr=3e-4, fused=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=2))
