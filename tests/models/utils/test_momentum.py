import copy
import math

import pytest
import torch
import torch.nn as nn

from semmim.models.necks import EncodingHead
from semmim.models.utils import MomentumEMA


def test_constant_momentum_update_math_and_no_grad():
    torch.manual_seed(0)
    online = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    ema = MomentumEMA(online, momentum=0.9)
    assert all(not p.requires_grad for p in ema.parameters())
    before = copy.deepcopy(ema.module.state_dict())
    with torch.no_grad():
        for p in online.parameters():
            p.add_(1.0)
        online[1].running_mean.fill_(3.)
    ema.update_parameters(online)
    for k, v in online.state_dict().items():
        if k.endswith('running_mean'):  # buffers are copied
            torch.testing.assert_close(ema.module.state_dict()[k], v)
        elif v.dtype.is_floating_point and 'running' not in k:
            torch.testing.assert_close(ema.module.state_dict()[k],
                                       0.9 * before[k] + 0.1 * v)
    assert int(ema.steps) == 1 and 'steps' in ema.state_dict()


def test_cosine_schedule_endpoints():
    ema = MomentumEMA(nn.Linear(2, 2), momentum=0.996, end_momentum=1.0,
                      schedule='cosine')
    with pytest.raises(RuntimeError, match='total_steps'):
        ema.current_momentum()
    ema.total_steps = 100
    assert math.isclose(ema.current_momentum(), 0.996)
    ema.steps.fill_(50)
    assert math.isclose(ema.current_momentum(), 0.998)
    ema.steps.fill_(100)
    assert math.isclose(ema.current_momentum(), 1.0)


def test_weight_norm_head_deepcopies():
    head = EncodingHead(in_dims=8, hidden_dims=8, bottleneck_dims=4,
                        num_codes=6)
    ema = MomentumEMA(head)
    x = torch.randn(3, 8)
    torch.testing.assert_close(ema.module(x), head(x))
