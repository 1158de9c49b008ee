from .bad_sample_logger_hook import BadSampleLoggerHook
from .momentum_update_hook import MomentumUpdateHook
from .rng_state_hook import RNGStateHook
from .teacher_temp_warmup_hook import TeacherTempWarmupHook

__all__ = [
    'BadSampleLoggerHook', 'MomentumUpdateHook', 'RNGStateHook',
    'TeacherTempWarmupHook'
]
