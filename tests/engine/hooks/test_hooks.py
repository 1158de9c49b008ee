import math

import torch
import torch.nn as nn

from semmim.engine.hooks import MomentumUpdateHook, TeacherTempWarmupHook
from semmim.models.utils import MomentumEMA


class FakeOptim:

    def __init__(self, acc):
        self._accumulative_counts = acc
        self.calls = 0

    def should_update(self):
        self.calls += 1
        return self.calls % self._accumulative_counts == 0


class Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(2, 2)
        self.ema = MomentumEMA(self.net, momentum=0.9, end_momentum=1.0,
                               schedule='cosine')
        self.updates = 0

    def momentum_modules(self):
        return dict(ema=self.ema)

    def update_momentum(self):
        self.updates += 1
        self.ema.update_parameters(self.net)


class Runner:

    def __init__(self, model, max_iters, acc=1):
        self.model = model
        self.max_iters = max_iters
        self.optim_wrapper = FakeOptim(acc)
        self.iter = 0

        class Hub:
            scalars = {}

            def update_scalar(self, k, v):
                self.scalars[k] = v

        self.message_hub = Hub()


def test_momentum_hook_follows_optimizer_steps():
    model = Model()
    runner = Runner(model, max_iters=10, acc=4)
    hook = MomentumUpdateHook()
    hook.before_train(runner)
    assert model.ema.total_steps == math.ceil(10 / 4)
    for _ in range(8):
        hook.after_train_iter(runner, 0)
    assert model.updates == 2


def test_teacher_temp_warmup_values_and_heads():
    hook = TeacherTempWarmupHook(start=0.04, end=0.07, warmup_ratio=0.3)
    assert hook.value(0, 100) == 0.04
    assert math.isclose(hook.value(15, 100), 0.055)
    assert hook.value(30, 100) == 0.07 and hook.value(99, 100) == 0.07
    model = nn.Module()
    model.cls_head = nn.Module()
    model.cls_head.register_buffer('teacher_temp', torch.tensor(0.))
    runner = Runner(model, max_iters=100)
    runner.iter = 15
    hook.before_train_iter(runner, 0)
    assert math.isclose(model.cls_head.teacher_temp.item(), 0.055,
                        rel_tol=1e-6)
