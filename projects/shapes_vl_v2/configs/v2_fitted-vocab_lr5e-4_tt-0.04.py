# v2_fitted-vocab_lr5e-4.py with the self-distillation teacher temperature
# held at 0.04 (L_cls and L_patch) instead of rising to 0.07 over the first
# 30% of the run: in the first v2 run loss_cls reached ln K (uniform
# targets) as the temperature rose.
_base_ = './v2_fitted-vocab_lr5e-4.py'

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
