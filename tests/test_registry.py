"""Every part we reuse resolves by its plain name in the semmim scope."""
import pytest
from mmengine.registry import DefaultScope
from mmengine.registry import HOOKS as ROOT_HOOKS
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import TRANSFORMS as ROOT_TRANSFORMS

from semmim import registry as R

REUSED = {
    'MODELS': ['VisionTransformer', 'CosineEMA', 'QuickGELU',
               'SemMIM', 'SemMIMRetrieval', 'SemMIMCaption', 'SemMIMVQA',
               'SemMIMVisionTransformer', 'BertTextEncoder', 'EncodingHead',
               'VLDataPreprocessor', 'TextGuidedMaskGenerator'],
    'TRANSFORMS': ['LoadImageFromFile', 'MultiView', 'RandomResizedCrop',
                   'ColorJitter', 'GaussianBlur', 'Solarize',
                   'RandomGrayscale', 'RandomApply', 'RandomFlip', 'Resize',
                   'PackInputs', 'CleanCaption', 'PreCaption',
                   'LoadImageOrSkip'],
    'DATASETS': ['ImageTextDataset', 'RetrievalDataset', 'COCORetrieval'],
    'DATA_SAMPLERS': ['DefaultSampler', 'InfiniteSampler'],
    'LOOPS': ['EpochBasedTrainLoop', 'IterBasedTrainLoop', 'ValLoop',
              'TestLoop', 'RetrievalTestLoop', 'TwoStageRetrievalTestLoop'],
    'HOOKS': ['CheckpointHook', 'LoggerHook', 'IterTimerHook',
              'ParamSchedulerHook', 'DistSamplerSeedHook', 'EMAHook',
              'WarmupParamHook', 'MomentumUpdateHook',
              'TeacherTempWarmupHook', 'BadSampleLoggerHook',
              'CompileBlocksHook'],
    'METRICS': ['RetrievalRecall', 'DumpResults', 'RetrievalRecallMetric'],
    'MODEL_WRAPPERS': ['MMDistributedDataParallel',
                       'MMFullyShardedDataParallel'],
    'OPTIMIZERS': ['AdamW', 'SGD'],
    'OPTIM_WRAPPERS': ['OptimWrapper', 'AmpOptimWrapper',
                       'AutocastOptimWrapper'],
    'OPTIM_WRAPPER_CONSTRUCTORS': ['DefaultOptimWrapperConstructor',
                                   'VLOptimWrapperConstructor'],
    'PARAM_SCHEDULERS': ['LinearLR', 'CosineAnnealingLR'],
    'VISBACKENDS': ['LocalVisBackend', 'TensorboardVisBackend'],
    'VISUALIZERS': ['UniversalVisualizer', 'Visualizer'],
    'TOKENIZER': ['LocalBertTokenizer', 'BertTokenizer'],
    'FUNCTIONS': ['default_collate', 'pseudo_collate'],
}


@pytest.mark.parametrize('registry,names', sorted(REUSED.items()))
def test_names_resolve_in_semmim_registries(registry, names):
    reg = getattr(R, registry)
    assert reg.scope == 'semmim'
    for name in names:
        assert reg.get(name) is not None, f'{registry}: {name}'


def test_root_registries_switch_to_semmim_scope():
    # the Runner builds through MMEngine's root registries with the
    # config's default_scope; plain names must reach semmim's parts too
    with DefaultScope.overwrite_default_scope('semmim'):
        assert ROOT_MODELS.build(dict(
            type='TextGuidedMaskGenerator')).mask_ratio == 0.3
        assert ROOT_TRANSFORMS.build(dict(type='PreCaption')).max_words == 30
        assert ROOT_HOOKS.build(dict(type='MomentumUpdateHook')) is not None
        vit = ROOT_MODELS.build(dict(type='VisionTransformer',
                                     arch='deit-tiny', img_size=32))
        assert type(vit).__name__ == 'VisionTransformer'
