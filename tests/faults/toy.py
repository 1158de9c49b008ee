"""A toy model, data and Runner for fault-injection tests: a second to
train, the same hooks and checkpoint writer as ``tools/train.py``."""
import uuid

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from semmim.engine.runner_setup import add_reliability_hooks


class ToyModel(BaseModel):
    """Two loss terms and a running-mean buffer updated in ``forward``
    (like ITC's queue or the distillation centre)."""

    def __init__(self, nan_loss_calls=(), nan_term='loss_b'):
        super().__init__()
        self.linear = nn.Linear(4, 1)
        self.register_buffer('running_mean', torch.zeros(4))
        self.nan_loss_calls = set(nan_loss_calls)
        self.nan_term = nan_term
        self.calls = 0

    def forward(self, inputs, target, mode='loss'):
        self.calls += 1
        if self.training:
            self.running_mean.mul_(0.9).add_(0.1 * inputs.mean(0))
        pred = self.linear(inputs).squeeze(-1)
        losses = dict(loss_a=((pred - target)**2).mean(),
                      loss_b=0.1 * pred.abs().mean())
        if self.calls in self.nan_loss_calls:
            losses[self.nan_term] = losses[self.nan_term] * float('nan')
        if mode == 'loss':
            return losses
        return [pred]


class ToyDataset(Dataset):
    """``n`` samples; those in ``nan_indices`` have NaN inputs."""

    def __init__(self, n=8, nan_indices=()):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x.sum(1)
        self.nan_indices = set(nan_indices)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = self.x[i].clone()
        if i in self.nan_indices:
            x[0] = float('nan')
        return dict(inputs=x, target=self.y[i])


def toy_runner(work_dir, model=None, dataset=None, max_epochs=2,
               resume=False, load_from=None, guard=None, custom_hooks=None,
               lr=0.01, guard_off=False, model_wrapper_cfg=None,
               num_workers=0, **runner_kwargs):
    """A Runner on the toy model, its hooks made as ``prepare_cfg`` does."""
    cfg = Config(dict(default_hooks=dict(
        logger=dict(type='LoggerHook', interval=1),
        checkpoint=dict(type='CheckpointHook', interval=1,
                        max_keep_ckpts=5))))
    if model_wrapper_cfg is not None:
        cfg.model_wrapper_cfg = model_wrapper_cfg
    if guard is not None or guard_off:
        cfg.default_hooks.nonfinite_guard = guard
    add_reliability_hooks(cfg)
    loader = dict(dataset=dataset or ToyDataset(), batch_size=2,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'),
                  num_workers=num_workers)
    torch.manual_seed(0)
    return Runner(
        model=model or ToyModel(), work_dir=str(work_dir),
        experiment_name=f'toy_{uuid.uuid4().hex[:8]}',
        train_dataloader=loader,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=cfg.default_hooks.to_dict(),
        custom_hooks=custom_hooks, resume=resume, load_from=load_from,
        cfg=cfg, default_scope='semmim', **runner_kwargs)
