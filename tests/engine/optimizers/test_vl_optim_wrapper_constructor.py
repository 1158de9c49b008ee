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
