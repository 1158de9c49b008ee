# The demo config trained five times longer (20 epochs, 1,240 steps).
# A supervised ViT of the same size needs ~500 steps of direct shape labels
# to reach 0.5 shape accuracy on single-object images; the demo's 248
# steps of captions are far short of that.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
max_epochs = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=5))
