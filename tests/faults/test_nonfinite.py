"""NonFiniteGuardHook: NaN in one batch, NaN in one loss term, a run that
keeps diverging, and a checkpoint that would hold NaN weights."""
import logging
import os

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner.checkpoint import find_latest_checkpoint

from semmim.engine.hooks import NonFiniteTrainingError
from tests.faults.toy import ToyDataset, ToyModel, toy_runner


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def train(runner):
    records = _Records()
    runner.logger.addHandler(records)
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(records)
    return [line for line in records.lines if 'non-finite' in line]


def weights(runner):
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def test_nan_batch_is_skipped_and_leaves_no_trace(tmp_path):
    # 8 samples, batches of 2: sample 2 is in iteration 2 of each epoch
    runner = toy_runner(tmp_path / 'nan',
                        dataset=ToyDataset(nan_indices=[2]))
    warnings = train(runner)
    assert len(warnings) == 2  # once per epoch
    assert warnings[0].startswith('iter 2 (epoch 1): non-finite loss')
    assert 'loss_a' in warnings[0] and 'step skipped' in warnings[0]
    assert warnings[1].startswith('iter 6 (epoch 2)')
    # a clean run that never sees batch 2 ends with the same weights and
    # buffers: the skipped step changed nothing, the buffer was restored
    clean = toy_runner(tmp_path / 'clean', dataset=ToyDataset())
    skip = {2, 6}

    class SkipBatch(Hook):
        """Reference: do the guard's job by hand, on the clean data."""
        priority = 'HIGHEST'

        def before_train(self, runner):
            step = runner.optim_wrapper.step
            buffers = runner.model.running_mean

            def maybe_step(**kw):
                if runner.iter + 1 in skip:
                    buffers.copy_(self.saved)
                    return None
                return step(**kw)
            runner.optim_wrapper.step = maybe_step

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.saved = runner.model.running_mean.clone()

    clean.register_hook(SkipBatch())
    train(clean)
    for k, v in weights(clean).items():
        torch.testing.assert_close(weights(runner)[k], v)
    assert all(torch.isfinite(v).all() for v in weights(runner).values())
    ckpt = torch.load(tmp_path / 'nan' / 'epoch_2.pth', weights_only=True)
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values())


def test_nan_in_one_loss_term_is_named(tmp_path):
    runner = toy_runner(tmp_path, model=ToyModel(nan_loss_calls=[3]))
    warnings = train(runner)
    assert len(warnings) == 1
    assert warnings[0].startswith('iter 3 (epoch 1): non-finite loss')
    assert 'terms: loss, loss_b;' in warnings[0]  # not loss_a
    assert runner.iter == 8  # training went on


def test_consecutive_skips_stop_the_run(tmp_path):
    runner = toy_runner(tmp_path, model=ToyModel(nan_loss_calls=range(5, 99)),
                        guard=dict(type='NonFiniteGuardHook',
                                   max_consecutive_skips=3))
    with pytest.raises(NonFiniteTrainingError) as err:
        train(runner)
    msg = str(err.value)
    assert '\n' not in msg
    assert msg.startswith('stopped at iter 7 (epoch 2): 3 optimizer steps '
                          'in a row had a non-finite loss')
    assert 'loss_b' in msg and 'epoch_1.pth' in msg and '--resume' in msg
    # the epoch-1 checkpoint (taken before the NaNs) is what resume picks
    assert find_latest_checkpoint(str(tmp_path)).endswith('epoch_1.pth')


class PoisonWeights(Hook):
    """Puts a NaN into the weights during epoch 2, after its steps."""
    priority = 'LOWEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter == 7:  # the last iteration of epoch 2
            with torch.no_grad():
                runner.model.linear.bias.fill_(float('nan'))


def test_checkpoint_with_nan_weights_is_never_written(tmp_path):
    runner = toy_runner(tmp_path, max_epochs=3,
                        custom_hooks=[PoisonWeights()])
    with pytest.raises(NonFiniteTrainingError) as err:
        train(runner)
    msg = str(err.value)
    assert msg.startswith('refused to save a checkpoint at iter 8 with '
                          'non-finite weights (1 tensors: linear.bias)')
    assert str(tmp_path / 'epoch_1.pth') in msg
    assert os.listdir(tmp_path).count('epoch_2.pth') == 0
    assert not any(n.startswith('epoch_2.pth.tmp') for n in
                   os.listdir(tmp_path))
    assert find_latest_checkpoint(str(tmp_path)).endswith('epoch_1.pth')
    # and --resume continues from it
    resumed = toy_runner(tmp_path, max_epochs=3, resume=True)
    train(resumed)
    assert resumed.iter == 12
    assert torch.isfinite(resumed.model.linear.bias).all()


def test_guard_can_be_turned_off(tmp_path):
    runner = toy_runner(tmp_path, dataset=ToyDataset(nan_indices=[2]),
                        guard=None, max_epochs=1)
    assert any(type(h).__name__ == 'NonFiniteGuardHook'
               for h in runner.hooks)
    off = toy_runner(tmp_path / 'off', dataset=ToyDataset(nan_indices=[2]),
                     max_epochs=1, guard_off=True)
    assert not any(type(h).__name__ == 'NonFiniteGuardHook'
                   for h in off.hooks)
    train(off)
    assert not torch.isfinite(off.model.linear.weight).all()


def test_nan_similarities_do_not_crash_negative_sampling():
    """At a diverging learning rate the ITM head used to stop the run with
    a multinomial error before any loss existed; now the negatives are
    drawn uniformly and the non-finite loss reaches the guard."""
    from semmim.models.heads.itm_head import ITMHead
    head = ITMHead(embed_dims=8)
    sims = torch.randn(4, 4)
    sims[1, 2] = float('nan')
    sims[2] = float('inf')
    positives = torch.eye(4, dtype=torch.bool)
    torch.manual_seed(0)
    neg_text, neg_image = head.sample_negatives(sims, sims.t(), positives)
    assert neg_text.shape == (4, ) and neg_image.shape == (4, )
    assert not positives[torch.arange(4), neg_text].any()
    assert not positives[torch.arange(4), neg_image].any()
