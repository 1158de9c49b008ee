# The 4M pre-training on 2 GPUs: 2 x 128 per step, gradients accumulated
# over 4 steps = the paper's global batch of 1024 per optimizer update.
# Iteration-based schedules count iterations, not updates, so the warm-up
# is 4x longer in iterations; momentum (EMA) copies update once per
# optimizer step (MomentumUpdateHook); the ITC queue takes 256 per
# iteration and does not need to divide evenly (writes wrap around).
_base_ = './pretrain_4m.py'
optim_wrapper = dict(accumulative_counts=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=4000),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
]
