"""Collectives for the losses, correct on one process and on many.

``mmengine.dist.all_gather`` has no autograd, and mmpretrain's ``GatherLayer``
returns only the local slice of the gradient: a loss on rank ``r`` that uses
rank ``k``'s gathered features would then send no gradient to rank ``k``.
:func:`all_gather_with_grad` sums the gathered gradient over ranks before
taking the local slice, so every rank receives the gradient of every rank's
loss with respect to its own features.
"""
import torch
import torch.distributed as torch_dist
from mmengine import dist


class _AllGatherWithGrad(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        world = torch_dist.get_world_size()
        ctx.rank = torch_dist.get_rank()
        ctx.size = x.shape[0]
        out = [torch.empty_like(x) for _ in range(world)]
        torch_dist.all_gather(out, x.contiguous())
        return torch.cat(out, dim=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        torch_dist.all_reduce(grad)  # sum of every rank's loss gradient
        return grad[ctx.rank * ctx.size:(ctx.rank + 1) * ctx.size]


def all_gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks (dim 0), differentiably.

    All ranks must pass the same shape. Returns ``x`` on one process.
    """
    if dist.get_world_size() == 1:
        return x
    return _AllGatherWithGrad.apply(x)


@torch.no_grad()
def all_gather_no_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks (dim 0), without gradient."""
    if dist.get_world_size() == 1:
        return x
    return torch.cat(dist.all_gather(x.contiguous()), dim=0)


@torch.no_grad()
def all_reduce_mean(x: torch.Tensor) -> torch.Tensor:
    """Average ``x`` over ranks (returns a new tensor)."""
    if dist.get_world_size() == 1:
        return x
    x = x.clone()
    dist.all_reduce(x, op='mean')
    return x


@torch.no_grad()
def all_gather_variable(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks when dim 0 differs between ranks
    (other dims must agree); rank order is kept."""
    if dist.get_world_size() == 1:
        return x
    sizes = [int(s) for s in dist.all_gather(
        torch.tensor([x.shape[0]], device=x.device))]
    longest = max(sizes)
    padded = x.new_zeros((longest, ) + tuple(x.shape[1:]))
    padded[:x.shape[0]] = x
    parts = dist.all_gather(padded)
    return torch.cat([p[:n] for p, n in zip(parts, sizes)], dim=0)


@torch.no_grad()
def all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    """Sum ``x`` over ranks (returns a new tensor)."""
    if dist.get_world_size() == 1:
        return x
    x = x.clone()
    dist.all_reduce(x, op='sum')
    return x
