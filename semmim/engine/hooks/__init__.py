from .bad_sample_logger_hook import BadSampleLoggerHook
from .checkpoint_guard_hook import CheckpointGuardHook
from .momentum_update_hook import MomentumUpdateHook
from .nonfinite_guard_hook import NonFiniteGuardHook, NonFiniteTrainingError
from .rng_state_hook import RNGStateHook
from .teacher_temp_warmup_hook import TeacherTempWarmupHook

__all__ = [
    'BadSampleLoggerHook', 'CheckpointGuardHook',
    'MomentumUpdateHook', 'NonFiniteGuardHook', 'NonFiniteTrainingError',
    'RNGStateHook', 'TeacherTempWarmupHook'
]
