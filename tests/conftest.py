"""Shared fixtures: registries in the semmim scope and tiny model configs."""
import copy
import os

import pytest
import torch

# keep tests light on a 2-core machine
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope='session', autouse=True)
def _semmim_registered():
    import semmim  # noqa: F401
    from semmim.utils import register_all_modules
    register_all_modules()


@pytest.fixture(scope='module', autouse=True)
def _semmim_scope_module(_semmim_registered):
    # module-scoped fixtures (which build models) run before any
    # function-scoped one: give them the semmim scope too
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('semmim'):
        yield


@pytest.fixture(autouse=True)
def _semmim_scope(_semmim_registered):
    # a Runner built by one test may leave another scope current (MMEngine's
    # DefaultScope is global); every test starts in the semmim scope
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('semmim'):
        yield


TINY_BERT = dict(hidden_size=32, num_attention_heads=2, intermediate_size=64,
                 hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def tiny_semmim_cfg(**overrides) -> dict:
    """A SemMIM config with every part present, at toy size (32-d, 32 px
    images with 8 px patches: 16 patches)."""
    cfg = dict(
        type='SemMIM',
        data_preprocessor=dict(type='VLDataPreprocessor', max_length=16),
        vision_backbone=dict(
            type='SemMIMVisionTransformer',
            arch=dict(embed_dims=32, num_layers=3, num_heads=2,
                      feedforward_channels=64),
            img_size=32, patch_size=8, text_inject_start=3),
        text_encoder=dict(type='BertTextEncoder', num_layers=2,
                          bert_cfg=TINY_BERT),
        fusion_encoder=dict(type='BertFusionEncoder', num_layers=1,
                            bert_cfg=TINY_BERT),
        encoding_head=dict(type='EncodingHead', in_dims=32, hidden_dims=48,
                           bottleneck_dims=16, num_codes=24),
        cls_head=dict(type='CLSDistillHead', num_codes=24),
        mim_head=dict(type='PatchDistillHead', num_codes=24),
        mask_generator=dict(type='TextGuidedMaskGenerator', mask_ratio=0.3),
        itc_head=dict(type='ITCHead', embed_dims=32, proj_dims=16,
                      queue_size=32),
        itm_head=dict(type='ITMHead', embed_dims=32),
        mlm_head=dict(type='MLMHead', bert_cfg=TINY_BERT),
        plm_head=dict(type='PrefixLMHead', decoder=dict(
            type='BertDecoder', num_layers=1, bert_cfg=TINY_BERT)),
    )
    cfg = copy.deepcopy(cfg)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict) \
                and not value.pop('_replace_', False):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


CAPTIONS = [
    'a large red circle to the left of a small blue square',
    'a green triangle',
    'two shapes a yellow star above a purple cross',
    'a small orange diamond in the bottom right',
]


def tiny_batch(model, batch_size: int = 4, views: int = 2, img: int = 32,
               captions=None, seed: int = 0) -> dict:
    """A preprocessed batch for ``model``: inputs and data samples."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    captions = captions or [CAPTIONS[i % len(CAPTIONS)]
                            for i in range(batch_size)]
    images = [torch.randint(0, 256, (batch_size, 3, img, img), generator=g,
                            dtype=torch.uint8) for _ in range(views)]
    data = dict(
        inputs=images if views > 1 else images[0],
        data_samples=[DataSample(text=c) for c in captions])
    return model.data_preprocessor(data, True)


def load_tiny_pretraining_checkpoint(model_builder, tmp_path, capsys,
                                     drop_key: str):
    """Save a tiny pre-training checkpoint (32 px) without ``drop_key``,
    load it into ``model_builder(vision_backbone=...)`` at 48 px and return
    ``(pre-training model, model, MMEngine's key report)``."""
    from mmengine.runner import load_checkpoint

    from semmim.registry import MODELS
    torch.manual_seed(0)
    pre = MODELS.build(tiny_semmim_cfg())
    pre.init_weights()
    state = pre.state_dict()
    state.pop(drop_key)
    path = tmp_path / 'pretrain.pth'
    torch.save(dict(state_dict=state), path)
    vb = dict(tiny_semmim_cfg()['vision_backbone'], img_size=48)
    model = model_builder(vision_backbone=vb)
    load_checkpoint(model, str(path), strict=False, logger=None)
    return pre, model, capsys.readouterr().out


@pytest.fixture
def tiny_model():
    from semmim.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(tiny_semmim_cfg())
    model.init_weights()
    for ema in model.momentum_modules().values():
        ema.total_steps = 100
    return model


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='session')
def tiny_shapes(tmp_path_factory):
    """A tiny Shapes-VL (16 / 4 / 4 images of 64 px) for pipeline tests."""
    from semmim.datasets.shapes_vl import generate_shapes_vl
    root = tmp_path_factory.mktemp('shapes_vl')
    generate_shapes_vl(str(root), num_train=16, num_val=4, num_test=4,
                       image_size=64, seed=0, num_workers=1, progress=False)
    return str(root)


@pytest.fixture(scope='session')
def tiny_shapes_v2(tmp_path_factory):
    """A tiny Shapes-VL v2 (16 / 4 / 4 images of 64 px), the demo's world."""
    from semmim.datasets.shapes_vl import generate_shapes_vl
    root = tmp_path_factory.mktemp('shapes_vl_v2')
    generate_shapes_vl(str(root), num_train=16, num_val=4, num_test=4,
                       image_size=64, seed=0, num_workers=1, progress=False,
                       world='v2')
    return str(root)


def tiny_train_config(path, data_root: str, extra: str = '') -> str:
    """Write a config inheriting the demo config with a toy model and data;
    return its path."""
    demo = os.path.join(REPO, 'configs', 'semmim',
                        'semmim_vit-t-p8_1xb64-cpu_shapes-vl.py')
    text = f'''
_base_ = [{demo!r}]
tiny_bert = dict(hidden_size=32, num_attention_heads=2, intermediate_size=64,
                 hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
model = dict(
    vision_backbone=dict(arch=dict(_delete_=True, embed_dims=32,
                                   num_layers=2, num_heads=2,
                                   feedforward_channels=64),
                         text_inject_start=2),
    text_encoder=dict(num_layers=1, bert_cfg=tiny_bert),
    fusion_encoder=dict(num_layers=1, bert_cfg=tiny_bert),
    encoding_head=dict(in_dims=32, hidden_dims=32, bottleneck_dims=16,
                       num_codes=24),
    cls_head=dict(num_codes=24),
    mim_head=dict(num_codes=24),
    itc_head=dict(embed_dims=32, proj_dims=16, queue_size=32),
    itm_head=dict(embed_dims=32),
    mlm_head=dict(bert_cfg=tiny_bert),
    plm_head=dict(decoder=dict(num_layers=1, bert_cfg=tiny_bert)),
)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root={data_root!r}))
max_epochs = 2
train_cfg = dict(max_epochs=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=2, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=5))
{extra}
'''
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory, tiny_shapes):
    """(config, checkpoint) of a tiny SemMIM (64 px, 8 x 8 patches), for
    the analysis tools' tests."""
    config, checkpoint, _ = tiny_checkpoint(
        tmp_path_factory.mktemp('tiny_semmim'), tiny_shapes)
    return config, checkpoint


def tiny_checkpoint(folder, data_root):
    """Write a tiny SemMIM config on ``data_root`` and a checkpoint of its
    freshly initialised model (seed 0) into ``folder``; returns (config,
    checkpoint, model)."""
    from mmengine.config import Config

    from semmim.registry import MODELS
    config = tiny_train_config(folder / 'tiny.py', data_root)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    model.init_weights()
    checkpoint = str(folder / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    return config, checkpoint, model
