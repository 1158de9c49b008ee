"""Models by name, the way mmpretrain names its models.

Every config of semmim has a name in ``model-index.yml`` (OpenMMLab's
metafile format: ``configs/*/metafile.yml``). The index ships inside the
installed package as ``semmim/.mim`` (with ``configs/`` and ``tools/``), as
mmpretrain's does, so ``mim`` finds it too; in a source checkout the index
at the repository root is read.

Example:
    >>> from semmim.apis import get_model, list_models
    >>> list_models('*shapes-vl')[:2]
    ['semmim-caption_vit-t-p8_1xb32-scst_shapes-vl',
     'semmim-caption_vit-t-p8_1xb64-ce_shapes-vl']
    >>> model = get_model('semmim-vqa_vit-t-p8_1xb64_shapes-vl',
    ...                   pretrained='vqa.pth')
"""
import copy
import difflib
import fnmatch
import os.path as osp
import warnings
from os import PathLike
from typing import List, Optional, Sequence, Union

from mmengine.config import Config
from mmpretrain.apis.model import ModelHub as _MMPretrainModelHub

PACKAGE_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def mim_root() -> str:
    """The folder that holds ``model-index.yml`` and ``configs/``.

    The source tree when the package is imported from one (a checkout, or
    an editable install), else ``semmim/.mim``, where ``setup.py`` puts
    them in a wheel.
    """
    repo = osp.dirname(PACKAGE_ROOT)
    if all(osp.exists(osp.join(repo, f))
           for f in ('model-index.yml', 'configs', 'setup.py')):
        return repo
    mim = osp.join(PACKAGE_ROOT, '.mim')
    if osp.isfile(osp.join(mim, 'model-index.yml')):
        return mim
    raise FileNotFoundError(
        f'{osp.join(mim, "model-index.yml")}: no model index; reinstall '
        'semmim (pip install -e .) from its repository')


class ModelHub(_MMPretrainModelHub):
    """mmpretrain's hub of named models, over semmim's model index.

    Its own table (mmpretrain's names do not mix with ours); the index is
    read once, on the first look-up.
    """
    _models_dict = {}
    _semmim_registered = False

    @classmethod
    def _register_mmpretrain_models(cls):
        # mmpretrain's hook, called before every look-up: read our index
        if not cls._semmim_registered:
            root = mim_root()
            cls.register_model_index(
                osp.join(root, 'model-index.yml'), config_prefix=root)
            cls._semmim_registered = True

    @classmethod
    def get(cls, model_name: str):
        """The metainfo of ``model_name`` (its ``config`` loaded)."""
        cls._register_mmpretrain_models()
        if model_name.lower() not in cls._models_dict:
            close = difflib.get_close_matches(
                model_name.lower(), list(cls._models_dict), n=3)
            hint = f'; did you mean {", ".join(close)}?' if close else ''
            raise ValueError(
                f'{model_name}: no model of that name in '
                f'{osp.join(mim_root(), "model-index.yml")} '
                f'(semmim.apis.list_models() lists them){hint}')
        return super().get(model_name)


def list_models(pattern: Optional[str] = None,
                exclude_patterns: Optional[Sequence[str]] = None,
                task: Optional[str] = None) -> List[str]:
    """The names of semmim's models, sorted (as mmpretrain's
    ``list_models``).

    Args:
        pattern (str, optional): A wildcard pattern; any suffix matches too
            (``'semmim-vqa'`` lists every VQA config).
        exclude_patterns (Sequence[str], optional): Wildcard patterns of
            names to leave out.
        task (str, optional): Only models with a result for this task
            (``'Image Caption'``, ``'Visual Question Answering'``,
            ``'Image-To-Text Retrieval'``, ``'Text-To-Image Retrieval'``,
            ``'Vision-Language Pre-training'``).

    Returns:
        list[str]: The names.
    """
    ModelHub._register_mmpretrain_models()
    names = set(ModelHub._models_dict)
    if pattern is not None:
        names = set(fnmatch.filter(names, pattern + '*'))
    for exclude in exclude_patterns or []:
        names -= set(fnmatch.filter(names, exclude + '*'))
    if task is not None:
        names = {
            n for n in names if any(
                r.task == task
                for r in ModelHub._models_dict[n].results or [])
        }
    return sorted(names)


def get_model(model: Union[str, PathLike, Config],
              pretrained: Union[str, bool, None] = None,
              device=None,
              **kwargs):
    """A semmim model from its name, its config file or a config (as
    mmpretrain's ``get_model``).

    Args:
        model (str | Config): A name from :func:`list_models`, the path of
            a config file, or a config.
        pretrained (str | bool, optional): A checkpoint to load. ``True``
            means the model's released weights (none are released yet: a
            warning, and initial weights) or else the config's
            ``load_from``. ``None`` / ``False``: initial weights.
        device (str | torch.device, optional): Where to put the model.
            ``None`` leaves it on the CPU.
        **kwargs: Overrides of the config's ``model`` settings.

    Returns:
        mmengine.model.BaseModel: The model in eval mode, with ``_config``
        (its config) and ``_metainfo`` (its model-index entry, or ``None``).
    """
    from .base import build_model
    metainfo = None
    if isinstance(model, Config):
        config = copy.deepcopy(model)
    elif isinstance(model, (str, PathLike)) and str(model).endswith('.py'):
        if not osp.isfile(model):
            raise FileNotFoundError(f'{model}: config file not found')
        config = Config.fromfile(model)
    elif isinstance(model, str):
        metainfo = ModelHub.get(model)
        config = metainfo.config
    else:
        raise TypeError('model must be a name, a config file or a Config, '
                        f'not {type(model).__name__}')
    if pretrained is True:
        if metainfo is not None and metainfo.weights:
            pretrained = metainfo.weights
        elif config.get('load_from'):
            pretrained = config.load_from
        else:
            warnings.warn(f'{getattr(metainfo, "name", None) or model}: no '
                          'released weights; the model keeps its initial '
                          'weights')
            pretrained = None
    elif pretrained is False:
        pretrained = None
    if kwargs:
        config.merge_from_dict({'model': kwargs})
    model = build_model(config, pretrained, device or 'cpu')
    model._metainfo = metainfo
    return model


# the task of an algorithm, for models whose index entry has no results
_ALGORITHM_TASKS = {
    'SemMIMCaption': 'Image Caption',
    'SemMIMRetrieval': 'Image-To-Text Retrieval',
    'SemMIMVQA': 'Visual Question Answering',
}


def _model_type(model, metainfo) -> Optional[str]:
    if not isinstance(model, str):
        return type(model).__name__
    config = getattr(metainfo, 'config', None)
    if isinstance(config, Config):
        return config.model.get('type')
    return None


def inference_model(model, *args, **kwargs):
    """One input through the inferencer of the model's task, the first
    result (as mmpretrain's ``inference_model``; use the inferencers for
    many inputs).

    Args:
        model (str | BaseModel): A model name, or a model from
            :func:`get_model` by name.
        *args: The inputs, as the inferencer's ``__call__`` takes them
            (an image; an image and a question; a text).
        **kwargs: The inferencer's arguments (``pretrained``, ``device``,
            ``prototype``, ...) and its call's (``topk``, ``show_dir``).

    Example:
        >>> inference_model('semmim-vqa_vit-t-p8_1xb64_shapes-vl',
        ...                 'image.png', 'what color is the circle?',
        ...                 pretrained='vqa.pth')
        {'question': 'what color is the circle?', 'pred_answer': 'red'}
    """
    from inspect import signature

    from . import (ImageCaptionInferencer, ImageToTextRetrievalInferencer,
                   TextToImageRetrievalInferencer,
                   VisualQuestionAnsweringInferencer)
    inferencers = {
        cls.task: cls
        for cls in (ImageCaptionInferencer, ImageToTextRetrievalInferencer,
                    TextToImageRetrievalInferencer,
                    VisualQuestionAnsweringInferencer)
    }
    if isinstance(model, str):
        metainfo = ModelHub.get(model)
    else:
        metainfo = getattr(model, '_metainfo', None)
    tasks = [r.task for r in getattr(metainfo, 'results', None) or []]
    if not tasks:  # no measured results yet: the algorithm says the task
        tasks = [t for t in [_ALGORITHM_TASKS.get(_model_type(model,
                                                               metainfo))]
                 if t]
    found = [inferencers[t] for t in dict.fromkeys(tasks) if t in inferencers]
    if not found:
        name = getattr(metainfo, 'name', None) or type(model).__name__
        raise ValueError(f'{name}: no inferencer for its tasks '
                         f'({", ".join(tasks) or "none in the model index"})')
    if len(found) > 1:
        warnings.warn(f'{metainfo.name}: several tasks, using '
                      f'{found[0].__name__} (of '
                      f'{", ".join(c.__name__ for c in found)})')
    cls = found[0]
    params = signature(cls.__init__).parameters
    init = {k: kwargs.pop(k) for k in list(kwargs) if k in params}
    return cls(model, **init)(*args, **kwargs)[0]


__all__ = [
    'ModelHub', 'get_model', 'inference_model', 'list_models', 'mim_root'
]
