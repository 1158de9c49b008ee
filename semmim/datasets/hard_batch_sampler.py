"""A training sampler that fills each batch with look-alike samples."""
import math
from collections import OrderedDict
from typing import Callable, Iterator, List, Optional, Sized, Union

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.utils import import_modules_from_strings

from semmim.registry import DATA_SAMPLERS
from .image_grouped_sampler import rank_share


def _resolve(key_fn: Union[str, Callable]) -> Callable:
    if callable(key_fn):
        return key_fn
    module, _, name = key_fn.rpartition('.')
    if not module:
        raise ValueError(f'key_fn must be a callable or "module.function", '
                         f'got {key_fn!r}')
    fn = getattr(import_modules_from_strings(module), name, None)
    if not callable(fn):
        raise ValueError(f'key_fn {key_fn!r}: {module} has no function '
                         f'{name}')
    return fn


@DATA_SAMPLERS.register_module()
class HardBatchSampler:
    """Build batches from a few groups of samples that share a key.

    In-batch contrastive learning (ITC, and the ITM negatives drawn from
    its similarities) only asks a model to tell apart the samples of one
    batch. When an easy attribute (on Shapes-VL v2: the colours of the
    objects) already identifies nearly every sample of a random batch, the
    model never has to learn anything else. This sampler groups the
    samples by ``key_fn(data_info)`` and lays out each batch as
    ``batch_size // group_size`` chunks of ``group_size`` samples of one
    key, so inside a chunk the key says nothing and the negatives differ
    in the rest (on v2: shape and layout). With ``group_size=16`` and
    batch 64, four keys share a batch.

    Per epoch, each key's samples are shuffled and cut into chunks of
    ``group_size``; the left-over samples of all keys are shuffled
    together and cut into mixed chunks; then the chunks are shuffled (the
    one short chunk, if any, last). Every
    sample is drawn exactly once per epoch (before ``round_up``), as with
    :class:`~mmengine.dataset.DefaultSampler`. Each rank takes a
    contiguous share, so chunks stay whole when the per-rank batch is a
    multiple of ``group_size`` and the share is too.

    For training only (evaluation expects DefaultSampler's order).

    Args:
        dataset (Sized): Dataset with ``get_data_info(i)``.
        key_fn (str | callable): Maps a data info dict to a hashable key,
            or the import path of such a function, e.g.
            ``'semmim.datasets.shapes_vl.world_v2.caption_colours'``.
        group_size (int): Samples of one key placed next to each other.
        shuffle (bool): Shuffle within keys and the chunks. Defaults to
            True.
        seed (int, optional): Same on all ranks. Defaults to a synced one.
        round_up (bool): Repeat samples so all ranks get as many. Defaults
            to True.
    """

    def __init__(self,
                 dataset: Sized,
                 key_fn: Union[str, Callable],
                 group_size: int = 16,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        if group_size < 1:
            raise ValueError(f'group_size must be >= 1, got {group_size}')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.group_size = group_size
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.round_up = round_up
        fn = _resolve(key_fn)
        groups: 'OrderedDict[object, List[int]]' = OrderedDict()
        for i in range(len(dataset)):
            groups.setdefault(fn(dataset.get_data_info(i)), []).append(i)
        self.groups = list(groups.values())
        n = len(dataset)
        if round_up:
            self.num_samples = math.ceil(n / self.world_size)
        else:
            self.num_samples = (n * (self.rank + 1) // self.world_size -
                                n * self.rank // self.world_size)
        self.total_size = self.num_samples * self.world_size

    def _perm(self, n: int, g: torch.Generator) -> List[int]:
        if not self.shuffle:
            return list(range(n))
        return torch.randperm(n, generator=g).tolist()

    def chunks(self) -> List[List[int]]:
        """This epoch's chunks, in order (a chunk shares a key unless it is
        made of left-overs)."""
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        size = self.group_size
        chunks, rest = [], []
        for members in self.groups:
            members = [members[k] for k in self._perm(len(members), g)]
            full = len(members) // size * size
            chunks += [members[k:k + size] for k in range(0, full, size)]
            rest += members[full:]
        rest = [rest[k] for k in self._perm(len(rest), g)]
        chunks += [rest[k:k + size] for k in range(0, len(rest), size)]
        # a short chunk (at most one) goes last, so that it cannot shift
        # the chunks after it across batch boundaries
        short = [c for c in chunks if len(c) < size]
        chunks = [c for c in chunks if len(c) == size]
        return [chunks[k] for k in self._perm(len(chunks), g)] + short

    def __iter__(self) -> Iterator[int]:
        indices = [i for chunk in self.chunks() for i in chunk]
        return iter(rank_share(indices, self.rank, self.world_size,
                               self.num_samples, self.round_up))

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
