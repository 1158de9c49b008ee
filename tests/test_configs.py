"""Every config parses, uses default_collate, builds its pipelines and its
model (full-size ones once, the rest shrunk to toy widths)."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from semmim.compat import check_collate_fn
from semmim.registry import MODELS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# the product's configs and those of the studies under projects/
CONFIGS = sorted(
    p for pattern in ('configs/**/*.py', 'projects/*/configs/**/*.py')
    for p in glob.glob(osp.join(ROOT, pattern), recursive=True)
    if '_base_' not in p)


def rel(path):
    return osp.relpath(path, ROOT)


def shrink(model: dict) -> dict:
    """Toy widths, same structure and switches."""
    model = copy.deepcopy(model)
    tiny_bert = dict(hidden_size=32, num_attention_heads=2,
                     intermediate_size=64)

    def visit(cfg):
        if isinstance(cfg, dict):
            if cfg.get('type') == 'SemMIMVisionTransformer':
                layers = 12
                arch = cfg.get('arch')
                if isinstance(arch, dict):
                    layers = arch['num_layers']
                cfg['arch'] = dict(embed_dims=32, num_layers=layers,
                                   num_heads=2, feedforward_channels=64)
                cfg['img_size'], cfg['patch_size'] = 32, 16
                cfg.pop('init_cfg', None)
            if 'bert_cfg' in cfg or cfg.get('type') in (
                    'BertTextEncoder', 'BertFusionEncoder', 'BertDecoder',
                    'MLMHead'):
                cfg['bert_cfg'] = dict(cfg.get('bert_cfg') or {}, **tiny_bert)
                cfg.pop('init_cfg', None)
            if cfg.get('type') == 'EncodingHead':
                cfg.update(in_dims=32, hidden_dims=32, bottleneck_dims=16)
            if cfg.get('type') in ('ITCHead', 'ITMHead'):
                cfg['embed_dims'] = 32
            if cfg.get('type') == 'ITCHead':
                cfg.update(proj_dims=16, queue_size=64)
            for v in cfg.values():
                visit(v)
        elif isinstance(cfg, list):
            for v in cfg:
                visit(v)

    visit(model)
    return model


def test_there_are_configs():
    assert any(p.endswith('pretrain_4m.py') for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_config_parses_collates_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'semmim'
    check_collate_fn(cfg)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader:
            for t in loader['dataset'].get('pipeline', []):
                TRANSFORMS.build(copy.deepcopy(t))
    model = MODELS.build(shrink(cfg.model))
    if hasattr(model, 'momentum_modules'):
        for name, p in model.named_parameters():
            if name.startswith('momentum_'):
                assert not p.requires_grad


def test_check_collate_fn_catches_a_forgotten_collate(tmp_path):
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'))
    cfg.train_dataloader.pop('collate_fn')
    with pytest.raises(ValueError, match='train_dataloader'):
        check_collate_fn(cfg)


def count(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_full_size_pretrain_model_counts():
    """Paper Table 8: 360M trainable parameters (mPLUG 354M); ours within
    3%; encoding head under 6M; nothing trainable in momentum copies.
    Built without any weight file (weights load in init_weights)."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/semmim/pretrain_4m.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    total = count(model)
    assert abs(total - 360e6) / 360e6 < 0.03, total
    assert count(model.encoding_head) < 6e6
    assert all(not p.requires_grad
               for n, p in model.named_parameters()
               if n.startswith('momentum_'))
    assert model.vision_backbone.num_text_layers == 1
    assert model.mask_generator.mask_ratio == 0.3
    assert model.itc_head.queue_size == 65536


def test_fsdp_config_resolves_runner_strategy_and_wrap_policy():
    from mmengine.registry import FUNCTIONS, STRATEGIES
    from semmim.registry import RUNNERS
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/semmim/pretrain_4m_8xb128-fsdp.py'))
    assert RUNNERS.get(cfg.runner_type).__name__ == 'FlexibleRunner'
    assert STRATEGIES.get(cfg.strategy.type).__name__ == 'FSDPStrategy'
    policy = cfg.strategy.model_wrapper.auto_wrap_policy
    with FUNCTIONS.switch_scope_and_registry(None) as registry:
        fn = registry.get(policy.type)
    assert callable(fn) and fn.__name__ == 'size_based_auto_wrap_policy'
    # a layer of the base model is one unit: ViT-B layer ~7.1M > 5M,
    # while the whole model is far above (no single giant unit)
    layer = torch.nn.TransformerEncoderLayer(768, 12, 3072)
    n = sum(p.numel() for p in layer.parameters())
    assert n > policy.min_num_params
