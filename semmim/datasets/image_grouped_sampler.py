"""A training sampler that keeps the questions of an image together."""
import math
from collections import OrderedDict
from typing import Iterator, List, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed

from semmim.registry import DATA_SAMPLERS


def rank_share(indices: List[int], rank: int, world_size: int,
               num_samples: int, round_up: bool) -> List[int]:
    """This rank's contiguous share of an epoch's ``indices``: with
    ``round_up``, ``num_samples`` each (the list repeated to fill the last
    share), otherwise shares differing by at most one sample."""
    if round_up:
        total = num_samples * world_size
        indices = (indices * math.ceil(total / len(indices)))[:total]
        return indices[rank * num_samples:(rank + 1) * num_samples]
    bounds = [len(indices) * r // world_size for r in range(world_size + 1)]
    return indices[bounds[rank]:bounds[rank + 1]]


@DATA_SAMPLERS.register_module()
class ImageGroupedSampler:
    """Shuffle groups of samples that share an image, not single samples.

    VQA has several questions per image (5 on Shapes-VL, 5.4 on VQA v2).
    When a batch holds all questions of its images, the model encodes each
    image once (:class:`~semmim.models.SemMIMVQA` with
    ``share_image_encoding``), which on CPU cuts the cost of a step several
    times. The order of groups is random per epoch; each rank takes a
    contiguous share of the shuffled list, so groups stay together except
    at the boundaries.

    Use it for training only: MMEngine puts evaluation results back in
    order assuming :class:`~mmengine.dataset.DefaultSampler`'s strided
    shards.

    Args:
        dataset (Sized): Dataset with ``get_data_info(i)[group_key]``.
        shuffle (bool): Shuffle the groups. Defaults to True.
        seed (int, optional): Same on all ranks. Defaults to a synced one.
        group_key (str): Data-info field to group by. Defaults to
            'img_path'.
        round_up (bool): Repeat samples so all ranks get as many. Defaults
            to True.
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 group_key: str = 'img_path',
                 round_up: bool = True) -> None:
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.round_up = round_up
        groups: 'OrderedDict[object, List[int]]' = OrderedDict()
        for i in range(len(dataset)):
            key = dataset.get_data_info(i)[group_key]
            groups.setdefault(key, []).append(i)
        self.groups = list(groups.values())
        n = len(dataset)
        if round_up:
            self.num_samples = math.ceil(n / self.world_size)
        else:  # contiguous shares, differing by at most one sample
            self.num_samples = (n * (self.rank + 1) // self.world_size -
                                n * self.rank // self.world_size)
        self.total_size = self.num_samples * self.world_size

    def __iter__(self) -> Iterator[int]:
        order = range(len(self.groups))
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            order = torch.randperm(len(self.groups), generator=g).tolist()
        indices = [i for k in order for i in self.groups[k]]
        return iter(rank_share(indices, self.rank, self.world_size,
                               self.num_samples, self.round_up))

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
