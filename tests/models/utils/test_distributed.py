"""Two real gloo processes: gathers with the right gradients."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from semmim.models.utils.distributed import (all_gather_no_grad,
                                             all_gather_with_grad,
                                             all_reduce_mean)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def global_loss(feats, weights):
    # every rank's loss uses every rank's features (like ITM negatives)
    return (feats * weights).sum() ** 2


def _worker(rank, world, port, result_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.manual_seed(0)
    x_all = torch.randn(world * 2, 3)
    w_all = torch.randn(world, world * 2, 3)
    x = x_all[rank * 2:(rank + 1) * 2].clone().requires_grad_(True)
    gathered = all_gather_with_grad(x)
    assert torch.equal(gathered.detach(), x_all)
    loss = global_loss(gathered, w_all[rank])
    loss.backward()
    torch.save(
        dict(grad=x.grad, no_grad=all_gather_no_grad(x.detach()),
             mean=all_reduce_mean(torch.tensor([float(rank)]))),
        os.path.join(result_dir, f'{rank}.pth'))
    dist.destroy_process_group()


@pytest.mark.timeout(120)
def test_all_gather_with_grad_two_processes(tmp_path):
    world = 2
    mp.spawn(_worker, args=(world, free_port(), str(tmp_path)),
             nprocs=world, join=True)
    torch.manual_seed(0)
    x_all = torch.randn(world * 2, 3).requires_grad_(True)
    w_all = torch.randn(world, world * 2, 3)
    # reference: the sum of all ranks' losses on one process
    sum(global_loss(x_all, w_all[r]) for r in range(world)).backward()
    for rank in range(world):
        out = torch.load(tmp_path / f'{rank}.pth')
        torch.testing.assert_close(out['grad'],
                                   x_all.grad[rank * 2:(rank + 1) * 2])
        torch.testing.assert_close(out['no_grad'], x_all.detach())
        torch.testing.assert_close(out['mean'], torch.tensor([0.5]))
