"""Registries of semmim: children of mmpretrain's, in the ``semmim`` scope.

Configs set ``default_scope = 'semmim'``. A name is looked up in the semmim
node first, then in mmpretrain's and MMEngine's, so every reused part
(mmpretrain's ``VisionTransformer``, transforms, loops, metrics; MMEngine's
hooks and collate functions) resolves by its plain name.

A parent registry is searched without importing its ``locations``, so each
node lists mmpretrain's package next to ours: building any name by config
imports both, whichever of the two defines it.
"""
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'BATCH_AUGMENTS', 'TASK_UTILS',
    'TOKENIZER', 'METRICS', 'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS',
    'FUNCTIONS'
]


def _child(name: str, parent: Registry, locations: list) -> Registry:
    return Registry(name, parent=parent, scope='semmim', locations=locations)


_ENGINE = ['mmpretrain.engine', 'semmim.engine', 'semmim.cpu']
_DATASETS = ['mmpretrain.datasets', 'semmim.datasets']
_MODELS = ['mmpretrain.models', 'semmim.models', 'semmim.cpu']
_EVAL = ['mmpretrain.evaluation', 'semmim.evaluation']
_VIS = ['mmpretrain.visualization', 'semmim.visualization']

RUNNERS = _child('runner', mmpretrain_registry.RUNNERS, _ENGINE)
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             mmpretrain_registry.RUNNER_CONSTRUCTORS, _ENGINE)
LOOPS = _child('loop', mmpretrain_registry.LOOPS, _ENGINE)
HOOKS = _child('hook', mmpretrain_registry.HOOKS, _ENGINE)
LOG_PROCESSORS = _child('log processor', mmpretrain_registry.LOG_PROCESSORS,
                        _ENGINE)
OPTIMIZERS = _child('optimizer', mmpretrain_registry.OPTIMIZERS, _ENGINE)
OPTIM_WRAPPERS = _child('optim_wrapper', mmpretrain_registry.OPTIM_WRAPPERS,
                        _ENGINE)
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor',
    mmpretrain_registry.OPTIM_WRAPPER_CONSTRUCTORS, _ENGINE)
PARAM_SCHEDULERS = _child('parameter scheduler',
                          mmpretrain_registry.PARAM_SCHEDULERS, _ENGINE)

DATASETS = _child('dataset', mmpretrain_registry.DATASETS, _DATASETS)
DATA_SAMPLERS = _child('data sampler', mmpretrain_registry.DATA_SAMPLERS,
                       _DATASETS)
TRANSFORMS = _child('transform', mmpretrain_registry.TRANSFORMS, _DATASETS)

MODELS = _child('model', mmpretrain_registry.MODELS, _MODELS)
MODEL_WRAPPERS = _child('model_wrapper', mmpretrain_registry.MODEL_WRAPPERS,
                        _MODELS)
WEIGHT_INITIALIZERS = _child('weight initializer',
                             mmpretrain_registry.WEIGHT_INITIALIZERS, _MODELS)
BATCH_AUGMENTS = _child('batch augment', mmpretrain_registry.BATCH_AUGMENTS,
                        _MODELS)
TASK_UTILS = _child('task util', mmpretrain_registry.TASK_UTILS, _MODELS)
TOKENIZER = _child('tokenizer', mmpretrain_registry.TOKENIZER, _MODELS)

METRICS = _child('metric', mmpretrain_registry.METRICS, _EVAL)
EVALUATORS = _child('evaluator', mmpretrain_registry.EVALUATORS, _EVAL)

VISUALIZERS = _child('visualizer', mmpretrain_registry.VISUALIZERS, _VIS)
VISBACKENDS = _child('vis_backend', mmpretrain_registry.VISBACKENDS, _VIS)

# Functions (collate functions) live in MMEngine's root node only.
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS  # noqa: E402

FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, ['mmengine.dataset'])
