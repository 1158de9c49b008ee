# v2_fitted-vocab.py with a lower peak learning rate (5e-4 instead of 1e-3)
# reached after 5 warm-up steps instead of 20: in the first v2 run ITC sat
# at chance until the cosine brought the rate below ~7e-4.
_base_ = './v2_fitted-vocab.py'

optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=5),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end={{_base_.max_epochs}}, convert_to_iter_based=True),
]
