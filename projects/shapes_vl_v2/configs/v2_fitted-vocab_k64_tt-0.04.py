# v2_fitted-vocab.py with K = 64 codes (instead of 256) and the
# self-distillation teacher temperature held at 0.04: does L_cls stay
# below 0.8 ln K?
_base_ = './v2_fitted-vocab.py'

model = dict(
    encoding_head=dict(num_codes=64),
    cls_head=dict(num_codes=64),
    mim_head=dict(num_codes=64))
custom_hooks = [
    dict(type='BadSampleLoggerHook'),
    dict(type='RNGStateHook'),
    dict(type='MomentumUpdateHook'),
    dict(type='TeacherTempWarmupHook', start=0.04, end=0.04),
    dict(type='WarmupParamHook', module_name='itc_head', param_name='alpha',
         warmup_epochs=1),
    dict(type='WarmupParamHook', module_name='mlm_head', param_name='alpha',
         warmup_epochs=1),
]
