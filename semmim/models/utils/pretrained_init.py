"""One clear error when a part's pretrained weights file is missing.

MMEngine's ``Pretrained`` initialiser reports a missing local file deep in
its checkpoint loaders, long after the config named it. The parts call
:func:`check_pretrained_file` at the top of ``init_weights`` so the error
names the file, the part and the converter command that makes the file.
The check is skipped for remote URIs (``http://``, ``s3://``...): those are
the loaders' business.
"""
import os.path as osp
from typing import Optional

#: How to make each kind of converted file (``{path}`` is the missing one).
CONVERTERS = dict(
    clip=('CLIP ViT-B/16 weights (OpenAI .pt, open_clip or Hugging Face)',
          'python tools/model_converters/clip_to_semmim.py '
          'PATH/TO/CLIP_CHECKPOINT {path}'),
    bert=('bert-base-uncased (a local Hugging Face directory)',
          'python tools/model_converters/bert_to_semmim.py '
          'PATH/TO/bert-base-uncased {path}'),
)


def pretrained_checkpoint(init_cfg) -> Optional[str]:
    """The checkpoint of a ``type='Pretrained'`` entry of ``init_cfg``."""
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    for cfg in cfgs:
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            return cfg.get('checkpoint')
    return None


def check_pretrained_file(init_cfg, kind: str, part: str) -> None:
    """Raise ``FileNotFoundError`` if ``init_cfg`` loads a missing local file.

    Args:
        init_cfg (dict | list, optional): The part's MMEngine init config.
        kind (str): Which converter makes the file: 'clip' or 'bert'.
        part (str): The part's name, for the message.
    """
    path = pretrained_checkpoint(init_cfg)
    if not path or '://' in path or osp.isfile(path):
        return
    source, command = CONVERTERS[kind]
    raise FileNotFoundError(
        f'pretrained weights of {part} not found: {path}\n'
        f'Make this file from {source} with\n'
        f'    {command.format(path=path)}\n'
        'or remove init_cfg to start from random weights. '
        'See docs/pretrained_weights.md.')
