import torch
import torch.nn as nn

from semmim.engine.optimizers import VLOptimWrapperConstructor


class Toy(nn.Module):

    def __init__(self):
        super().__init__()
        self.vision_backbone = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
        self.vision_backbone.pos_embed = nn.Parameter(torch.zeros(1, 2, 4))
        self.head = nn.Linear(4, 2)
        self.frozen = nn.Linear(2, 2).requires_grad_(False)


def test_groups_combine_lr_mult_and_no_decay():
    model = Toy()
    ctor = VLOptimWrapperConstructor(
        dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.02)),
        paramwise_cfg=dict(lr_mult={'vision_backbone': 0.1},
                           no_decay_keys=('pos_embed', )))
    optim = ctor(model).optimizer
    groups = {(g['lr'], g['weight_decay']): {id(p) for p in g['params']}
              for g in optim.param_groups}
    vb = model.vision_backbone
    assert groups[(1e-5, 0.02)] == {id(vb[0].weight)}
    assert groups[(1e-5, 0.0)] == {id(vb[0].bias), id(vb[1].weight),
                                   id(vb[1].bias), id(vb.pos_embed)}
    assert groups[(1e-4, 0.02)] == {id(model.head.weight)}
    assert groups[(1e-4, 0.0)] == {id(model.head.bias)}
    assert len(optim.param_groups) == 4  # merged, frozen excluded


def test_full_size_schedule_exempts_embeddings_tokens_norms_biases_temp():
    """The full-size pre-training's optimizer groups (pretrain_4m.py's
    ``optim_wrapper`` on its model, shrunk to toy widths: same parameter
    names) against a classification by module type: no decay on 0/1-d
    parameters (biases, norms, the ITC temperature), on ``nn.Embedding``
    weights and on the ViT's position embedding, [CLS] and [MASK] tokens;
    decay on every linear and convolution weight."""
    import copy
    import os.path as osp

    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from semmim.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
    from tests.test_configs import ROOT, shrink
    init_default_scope('semmim')
    cfg = Config.fromfile(osp.join(ROOT, 'configs/semmim/pretrain_4m.py'))
    model = MODELS.build(shrink(cfg.model))
    wrapper = copy.deepcopy(cfg.optim_wrapper)
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type=wrapper.pop('constructor'),
        paramwise_cfg=wrapper.pop('paramwise_cfg'),
        optim_wrapper_cfg=wrapper))
    optim = ctor(model).optimizer
    decayed = {id(p) for g in optim.param_groups if g['weight_decay'] > 0
               for p in g['params']}
    exempt = {id(p) for g in optim.param_groups if g['weight_decay'] == 0
              for p in g['params']}
    vit = model.vision_backbone
    ref_exempt = {id(p) for p in model.parameters()
                  if p.requires_grad and p.ndim <= 1}
    ref_exempt |= {id(m.weight) for m in model.modules()
                   if isinstance(m, nn.Embedding) and m.weight.requires_grad}
    ref_exempt |= {id(vit.pos_embed), id(vit.cls_token), id(vit.mask_token)}
    params = {id(p) for p in model.parameters() if p.requires_grad}
    # (a weight-normed layer's ``weight`` is computed, not a parameter;
    # tied output layers share the embedding's weight)
    ref_decayed = {id(m.weight) for m in model.modules()
                   if isinstance(m, (nn.Linear, nn.Conv2d))} & params
    ref_decayed -= ref_exempt
    assert id(model.itc_head.temp) in exempt
    assert ref_exempt <= exempt
    assert ref_decayed <= decayed
    # everything trainable is in one group or the other, and only the
    # weight-normed code layer's direction (2-d, not Linear) is left over
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert {id(p) for p in trainable.values()} == decayed | exempt
    rest = {n for n, p in trainable.items()
            if id(p) not in ref_exempt | ref_decayed}
    assert all('weight_v' in n or 'parametrizations' in n for n in rest), \
        rest
