"""CompileBlocksHook: compiled transformer blocks compute what eager ones
do, keep parameter names, and the hook compiles the runner's model."""
import copy
import logging
import shutil
import types

import pytest
import torch
import torch._dynamo
from torch._dynamo.utils import counters

from semmim.cpu import CompileBlocksHook, compile_blocks
from tests.conftest import tiny_batch


def loss_and_grads(model, data):
    torch.manual_seed(1)  # same masks in both runs
    losses = model(**data, mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()
             if p.grad is not None}
    model.zero_grad()
    return losses, grads


HAS_CXX = bool(shutil.which('c++') or shutil.which('g++'))
# What the hook's wiring depends on (every block compiled, dynamic shapes,
# buffers, parameter names and per-call attributes such as the fusion
# layers' image index read at each call) is Dynamo's tracing and AOT
# autograd: the default run checks it with the ``aot_eager`` backend.
# TorchInductor's C++ code generation on top takes minutes on a cold cache on
# 2 cores (136 s for the tiny model's 12 graphs, 50 s for two fusion
# layers), so the same checks with Inductor are slow tests (`-m slow`).
BACKENDS = [
    'aot_eager',
    pytest.param('inductor', marks=[
        pytest.mark.slow,
        pytest.mark.skipif(not HAS_CXX, reason='TorchInductor needs a C++ '
                           'compiler on CPU')])]


@pytest.mark.timeout(600)
@pytest.mark.parametrize('backend', BACKENDS)
def test_compiled_blocks_match_eager(tiny_model, backend):
    torch._dynamo.reset()
    model = tiny_model.train()
    data = tiny_batch(model)
    names = list(model.state_dict())
    # a forward updates centres and queues: the reference runs on a copy
    eager_losses, eager_grads = loss_and_grads(copy.deepcopy(model), data)

    blocks = [m for m in model.modules()
              if type(m).__name__ in ('TransformerEncoderLayer', 'BertLayer')]
    # online and momentum ViT layers, text/fusion/decoder BERT layers
    assert compile_blocks(model, backend=backend) == len(blocks) > 6
    assert all(b._compiled_call_impl is not None for b in blocks)
    assert list(model.state_dict()) == names  # checkpoints unchanged

    counters.clear()
    losses, grads = loss_and_grads(model, data)
    # the blocks ran as graphs through AOT autograd, not eager fallbacks
    assert counters['stats']['unique_graphs'] >= 6
    assert counters['aot_autograd']['ok'] == \
        counters['stats']['unique_graphs']
    for k, v in eager_losses.items():
        torch.testing.assert_close(losses[k], v, rtol=1e-4, atol=1e-5,
                                   msg=k)
    assert grads.keys() == eager_grads.keys()
    for n, g in grads.items():
        torch.testing.assert_close(g, eager_grads[n], rtol=1e-3, atol=1e-5,
                                   msg=n)


def test_hook_compiles_the_runner_model(tiny_model, caplog):
    model = tiny_model
    runner = types.SimpleNamespace(model=model,
                                   logger=logging.getLogger('test'))
    with caplog.at_level(logging.INFO):
        CompileBlocksHook(block_types=['BertLayer']).before_train(runner)
    bert = [m for m in model.modules() if type(m).__name__ == 'BertLayer']
    vit = [m for m in model.modules()
           if type(m).__name__ == 'TransformerEncoderLayer']
    assert bert and all(m._compiled_call_impl is not None for m in bert)
    assert vit and all(m._compiled_call_impl is None for m in vit)
    assert f'compiling {len(bert)} blocks' in caplog.text
    # one block class, many call sites: the default limit of 8 graphs per
    # function would silently send the rest to eager
    assert torch._dynamo.config.recompile_limit >= 64


@pytest.mark.timeout(600)
@pytest.mark.parametrize('backend', BACKENDS)
def test_compiled_fusion_layers_follow_the_image_index(backend):
    """The fusion encoder's image index lives on its key/value projections;
    compiled layers read the current one at each call (a stale index baked
    into a graph would fuse texts with the wrong images)."""
    from semmim.models.backbones.bert_fusion_encoder import BertFusionEncoder
    from tests.conftest import TINY_BERT
    torch.manual_seed(0)
    enc = BertFusionEncoder(num_layers=2, bert_cfg=TINY_BERT).eval()
    ref = copy.deepcopy(enc)
    torch._dynamo.reset()
    assert compile_blocks(enc, block_types=['BertLayer'],
                          backend=backend) == 2
    counters.clear()
    images = torch.randn(3, 5, enc.embed_dims)
    for rows in ([0, 1, 2, 0], [2, 2, 1, 0], [1, 0, 0, 2, 1]):
        rows = torch.tensor(rows)
        text = torch.randn(len(rows), 4, enc.embed_dims)
        mask = torch.ones(len(rows), 4)
        torch.testing.assert_close(
            enc(text, mask, images, image_index=rows),
            ref(text, mask, images.index_select(0, rows)),
            rtol=1e-4, atol=1e-5)
    # the layers ran as compiled graphs, not eager fallbacks
    assert counters['stats']['unique_graphs'] >= 1
