# v2_fitted-vocab.py trained 4 times as long (8 epochs of the same 3584
# images = 448 steps, ~98 TFLOP, 4x the demo's budget): how far the
# recipe gets when the step budget is not the limit.
_base_ = './v2_fitted-vocab.py'

max_epochs = 8
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=2, max_keep_ckpts=4))
