# On top of demo_mask-temp-0.1_8e: K = 64 codes, a 192-d bottleneck and the
# teacher temperature held at 0.04 (no warm-up to 0.07), to make the
# [CLS] targets non-uniform.
_base_ = './demo_mask-temp-0.1_8e.py'
model = dict(
    encoding_head=dict(bottleneck_dims=192, num_codes=64),
    cls_head=dict(num_codes=64),
    mim_head=dict(num_codes=64))
# the base schedule's hooks, with start = end for the teacher temperature
custom_hooks = [
    dict(type='BadSampleLoggerHook'),
    dict(type='RNGStateHook'),
    dict(type='MomentumUpdateHook'),
    dict(type='TeacherTempWarmupHook', start=0.04, end=0.04,
         warmup_ratio=0.3),
    dict(type='WarmupParamHook', module_name='itc_head', param_name='alpha',
         warmup_epochs=1),
    dict(type='WarmupParamHook', module_name='mlm_head', param_name='alpha',
         warmup_epochs=1),
]
