"""Text injection under FSDP as ``pretrain_4m_8xb128-fsdp.py`` wraps the
model: every ViT layer its own unit (size-based policy), original
parameters kept (``use_orig_params``). Two gloo processes on CPU; the
injected, masked pass must give the unwrapped model's outputs and input
gradients."""
import os
import os.path as osp
import socket
from functools import partial

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _vit():
    from semmim.models.backbones import SemMIMVisionTransformer
    torch.manual_seed(0)  # same weights on both ranks
    return SemMIMVisionTransformer(
        arch=dict(embed_dims=32, num_layers=3, num_heads=2,
                  feedforward_channels=64),
        img_size=32, patch_size=8, text_inject_start=2)


def _inputs(rank):
    g = torch.Generator().manual_seed(rank)
    img = torch.randn(2, 3, 32, 32, generator=g)
    mask = torch.zeros(2, 16, dtype=torch.bool)
    mask[:, torch.randperm(16, generator=g)[:5]] = True
    text = torch.randn(2, 6, 32, generator=g, requires_grad=True)
    text_mask = torch.ones(2, 6, dtype=torch.long)
    text_mask[1, 3:] = 0  # padding the layers must mask out
    return img, mask, text, text_mask


def _worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.registry import FUNCTIONS
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/semmim/pretrain_4m_8xb128-fsdp.py'))
    wrap = cfg.strategy.model_wrapper.to_dict()
    policy = wrap.pop('auto_wrap_policy')
    with FUNCTIONS.switch_scope_and_registry(None) as registry:
        policy_fn = registry.get(policy.pop('type'))
    ref = _vit()
    # the config's policy, with the threshold scaled to the toy ViT: each
    # layer is one unit, as each ViT-B layer is at 5M
    layer_size = sum(p.numel() for p in ref.layers[0].parameters())
    model = FSDP(_vit(), device_id=torch.device('cpu'),
                 auto_wrap_policy=partial(policy_fn,
                                          min_num_params=layer_size),
                 **wrap)
    units = [m for m in model.modules() if isinstance(m, FSDP)]
    img, mask, text, text_mask = _inputs(rank)
    out = model(img, mask=mask, text=text, text_mask=text_mask)[0]
    out.square().sum().backward()
    grad = text.grad.clone()
    text.grad = None
    expected = ref(img, mask=mask, text=text, text_mask=text_mask)[0]
    expected.square().sum().backward()
    torch.save(dict(units=len(units), out=out.detach(), expected=expected,
                    grad=grad, expected_grad=text.grad),
               osp.join(out_dir, f'{rank}.pth'))
    dist.destroy_process_group()


def test_fsdp_wrapped_vit_runs_the_injected_pass(tmp_path):
    from semmim.utils import register_all_modules
    register_all_modules()
    # fork: the workers inherit the imported modules (no CUDA here)
    mp.start_processes(_worker, args=(2, _free_port(), str(tmp_path)),
                       nprocs=2, start_method='fork')
    for rank in range(2):
        r = torch.load(tmp_path / f'{rank}.pth')
        assert r['units'] == 1 + 3  # the root and each of the 3 layers
        torch.testing.assert_close(r['out'], r['expected'])
        torch.testing.assert_close(r['grad'], r['expected_grad'])
