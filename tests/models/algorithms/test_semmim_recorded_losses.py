"""Refactors of SemMIM must not change what it computes: the losses of
three seeded training steps of the small model (the Shapes-VL demo's, and
the same with the full-size masking and MLM distillation), recorded
before the teacher / signature refactor (docs/design.md), reproduced.

Regenerate (only when a change is *meant* to change the numbers):
    python tests/models/algorithms/test_semmim_recorded_losses.py
"""
import json
import os.path as osp

import pytest
import torch

HERE = osp.dirname(osp.abspath(__file__))
RECORD = osp.join(HERE, 'data', 'semmim_small_losses.json')
REPO = osp.dirname(osp.dirname(osp.dirname(HERE)))
CONFIG = osp.join(REPO, 'configs', 'semmim',
                  'semmim_vit-t-p8_1xb64-cpu_shapes-vl.py')
VARIANTS = {
    'demo': {},
    'fusion-mask_mlm-distill_momentum-text': dict(
        teacher=dict(mask_similarity='fusion', mlm_distill=True,
                     text='momentum')),
}


def run_steps(variant: str, steps: int = 3) -> list:
    from mmengine.config import Config

    from semmim.registry import MODELS
    from tests.conftest import tiny_batch
    cfg = Config.fromfile(CONFIG).model
    for key, value in VARIANTS[variant].items():  # one level deep
        if isinstance(value, dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    for ema in model.momentum_modules().values():
        ema.total_steps = 10
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3)
    out = []
    for step in range(steps):
        batch = tiny_batch(model, batch_size=4, img=64, seed=step)
        torch.manual_seed(100 + step)
        losses = model(**batch, mode='loss')
        total = sum(v for k, v in losses.items() if k.startswith('loss'))
        opt.zero_grad()
        total.backward()
        opt.step()
        model.update_momentum()
        out.append({k: float(v) for k, v in sorted(losses.items())})
    return out


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_recorded_losses_are_reproduced(variant):
    torch.set_num_threads(1)  # one summation order
    with open(RECORD) as f:
        recorded = json.load(f)[variant]
    got = run_steps(variant)
    for step, (want, have) in enumerate(zip(recorded, got)):
        assert want.keys() == have.keys(), step
        for key in want:
            assert have[key] == pytest.approx(want[key], rel=1e-4,
                                              abs=1e-5), (step, key)


if __name__ == '__main__':
    from semmim.utils import register_all_modules
    register_all_modules()
    torch.set_num_threads(1)
    with open(RECORD, 'w') as f:
        json.dump({v: run_steps(v) for v in sorted(VARIANTS)}, f, indent=1)
    print(f'wrote {RECORD}')
