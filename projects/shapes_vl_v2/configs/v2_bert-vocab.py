# Run 1 of docs/shapes_vl_v2.md: the v1 demo recipe on Shapes-VL v2 with
# bert-base-uncased's 30522-token vocabulary (the v2 demo config now uses a
# vocabulary fitted to v2).
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'

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
