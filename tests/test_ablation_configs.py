"""Table 4 like for like: each MIM-target ablation config changes the MIM
target only; L_cls (cls_head, encoding_head) stays."""
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TABLE4 = ('mim-none', 'mim-pixel', 'mim-dvae')


def flat(cfg, prefix=''):
    out = {}
    for k, v in cfg.items():
        if isinstance(v, dict) and v:
            out.update(flat(v, f'{prefix}{k}.'))
        else:
            out[f'{prefix}{k}'] = v
    return out


def model_of(name):
    return Config.fromfile(osp.join(ROOT, 'configs/semmim', name)).model


@pytest.mark.parametrize('row', TABLE4)
def test_table4_rows_change_only_the_mim_target(row):
    base = flat(model_of('pretrain_4m.py').to_dict())
    ablation = model_of(f'ablations/pretrain_4m_{row}.py').to_dict()
    assert ablation['cls_head'] == model_of('pretrain_4m.py').cls_head
    assert ablation['encoding_head'] is not None
    changed = {k for k in set(base) | set(flat(ablation))
               if base.get(k, '-') != flat(ablation).get(k, '-')}
    assert changed, row
    assert all(k.split('.')[0] in ('mim_head', 'mask_generator')
               for k in changed), sorted(changed)
