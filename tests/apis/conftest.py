"""Tiny configs, checkpoints and images for the inferencer and CLI tests."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from semmim.registry import MODELS
from tests.conftest import tiny_semmim_cfg

PIPELINE = [
    dict(type='LoadImageOrSkip', imdecode_backend='pillow'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False, backend='pillow'),
    dict(type='PreCaption', keys='text'),
    dict(type='PreCaption', keys='question'),
    dict(type='PackInputs', algorithm_keys=['text', 'question'],
         meta_keys=['img_path']),
]


def model_cfg(task: str) -> dict:
    base = tiny_semmim_cfg()
    parts = dict(vision_backbone=base['vision_backbone'],
                 plm_head=base['plm_head'],
                 fusion_encoder=base['fusion_encoder'])
    if task == 'vqa':
        return dict(type='SemMIMVQA', num_beams=2, max_length=4,
                    text_encoder=base['text_encoder'],
                    data_preprocessor=dict(
                        type='VLDataPreprocessor', max_length=16,
                        text_fields=dict(question='question')), **parts)
    if task == 'caption':
        import semmim.models.algorithms.semmim_caption  # noqa: F401
        return dict(type='SemMIMCaption', **parts,
                    data_preprocessor=base['data_preprocessor'],
                    generation_cfg=dict(num_beams=2, min_length=1,
                                        max_length=4))
    return dict(type='SemMIMRetrieval', topk=2,
                data_preprocessor=base['data_preprocessor'],
                vision_backbone=base['vision_backbone'],
                text_encoder=base['text_encoder'],
                fusion_encoder=base['fusion_encoder'],
                itc_head=base['itc_head'], itm_head=base['itm_head'])


def make(tmp_path, task: str, extra_fields=None):
    """(config path, checkpoint path) of a tiny model for ``task``."""
    dataset = dict(pipeline=PIPELINE)
    if extra_fields:
        dataset['extra_fields'] = extra_fields
    cfg = Config(dict(model=model_cfg(task), default_scope='semmim',
                      test_dataloader=dict(dataset=dataset)))
    config = tmp_path / f'{task}.py'
    cfg.dump(str(config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = tmp_path / f'{task}.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    return str(config), str(checkpoint)


def make_images(tmp_path):
    """Three 40 px images in ``tmp_path/images``: red, green, blue."""
    folder = tmp_path / 'images'
    folder.mkdir()
    paths = []
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        img = np.zeros((40, 40, 3), np.uint8)
        img[:] = colour
        path = folder / f'{i}.png'
        Image.fromarray(img).save(path)
        paths.append(str(path))
    return paths


@pytest.fixture
def images(tmp_path):
    return make_images(tmp_path)
