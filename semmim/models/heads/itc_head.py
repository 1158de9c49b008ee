"""L_itc: image-text contrastive learning with a momentum queue (ALBEF)."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine import dist
from mmengine.model import BaseModule

from semmim.registry import MODELS
from ..losses import soft_cross_entropy
from ..utils.distributed import all_gather_no_grad


@MODELS.register_module()
class ITCHead(BaseModule):
    """Image-text contrastive head with queues and momentum distillation.

    Owns the projections of image and text [CLS] features to the joint
    space (L2-normalised), the learnable temperature, and the queues of
    momentum features. Each image (text) is contrasted with the momentum
    text (image) features of the batch and of the queue; the targets mix
    the one-hot (or image-id) targets with the momentum model's own
    similarity distribution (weight ``alpha``, ramped up over the first epoch
    by a hook: early momentum predictions are noise).

    Args:
        embed_dims (int): Input width. Defaults to 768.
        proj_dims (int): Joint space width. Defaults to 256.
        queue_size (int): Queue length; the global batch must divide it.
            Defaults to 65536.
        temperature (float): Initial temperature. Defaults to 0.07.
        temperature_range (tuple): Clamp range. Defaults to (0.001, 0.5).
        alpha (float): Distillation weight after the ramp. Defaults to 0.4.
        use_image_ids (bool): Treat every pair with the same image id as a
            positive (retrieval fine-tuning). Defaults to False.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 embed_dims: int = 768,
                 proj_dims: int = 256,
                 queue_size: int = 65536,
                 temperature: float = 0.07,
                 temperature_range=(0.001, 0.5),
                 alpha: float = 0.4,
                 use_image_ids: bool = False,
                 loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.vision_proj = nn.Linear(embed_dims, proj_dims)
        self.text_proj = nn.Linear(embed_dims, proj_dims)
        self.temp = nn.Parameter(torch.tensor(float(temperature)))
        self.temperature_range = tuple(temperature_range)
        self.alpha = alpha
        self.use_image_ids = use_image_ids
        self.loss_weight = loss_weight
        self.queue_size = queue_size
        self.register_buffer('image_queue',
                             F.normalize(torch.randn(queue_size, proj_dims),
                                         dim=1))
        self.register_buffer('text_queue',
                             F.normalize(torch.randn(queue_size, proj_dims),
                                         dim=1))
        # -100: ids of the random initial entries match no real image
        self.register_buffer('idx_queue',
                             torch.full((queue_size, ), -100,
                                        dtype=torch.long))
        self.register_buffer('queue_ptr', torch.zeros((), dtype=torch.long))

    # ------------------------------------------------------------------
    def project_image(self, cls_feat: torch.Tensor,
                      proj: Optional[nn.Module] = None) -> torch.Tensor:
        """``(..., C)`` image features -> L2-normalised ``(..., D)``."""
        proj = self.vision_proj if proj is None else proj
        return F.normalize(proj(cls_feat), dim=-1)

    def project_text(self, cls_feat: torch.Tensor,
                     proj: Optional[nn.Module] = None) -> torch.Tensor:
        """``(..., C)`` text features -> L2-normalised ``(..., D)``."""
        proj = self.text_proj if proj is None else proj
        return F.normalize(proj(cls_feat), dim=-1)

    def clamp_temperature(self) -> None:
        with torch.no_grad():
            self.temp.clamp_(*self.temperature_range)

    def get_logits(self, image_feat, text_feat, image_feat_all,
                   text_feat_all):
        """Similarities to the momentum batch + queue, over temperature."""
        sim_i2t = image_feat @ text_feat_all.t() / self.temp
        sim_t2i = text_feat @ image_feat_all.t() / self.temp
        return sim_i2t, sim_t2i

    @torch.no_grad()
    def get_ground_truth(self, image_feat_m, text_feat_m, image_feat_all,
                         text_feat_all, alpha: float,
                         idx: Optional[torch.Tensor] = None):
        """Targets: (1 - alpha) * positives + alpha * momentum softmax."""
        B = image_feat_m.shape[0]
        if idx is not None:
            idx_all = torch.cat([idx, self.idx_queue.clone()])
            pos = (idx[:, None] == idx_all[None, :]).float()
            hard = pos / pos.sum(1, keepdim=True)
            hard_i2t = hard_t2i = hard
        else:
            hard = torch.zeros(B, text_feat_all.shape[0],
                               device=image_feat_m.device)
            hard[:, :B] = torch.eye(B, device=image_feat_m.device)
            hard_i2t = hard_t2i = hard
        if alpha == 0:
            return hard_i2t, hard_t2i
        soft_i2t = torch.softmax(
            image_feat_m @ text_feat_all.t() / self.temp, dim=1)
        soft_t2i = torch.softmax(
            text_feat_m @ image_feat_all.t() / self.temp, dim=1)
        return (alpha * soft_i2t + (1 - alpha) * hard_i2t,
                alpha * soft_t2i + (1 - alpha) * hard_t2i)

    def loss(self,
             image_feat: torch.Tensor,
             text_feat: torch.Tensor,
             image_feat_m: torch.Tensor,
             text_feat_m: torch.Tensor,
             idx: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Contrastive loss, then enqueue the momentum features.

        Args:
            image_feat (Tensor): ``(B, D)`` online, normalised.
            text_feat (Tensor): ``(B, D)`` online, normalised.
            image_feat_m (Tensor): ``(B, D)`` momentum, normalised.
            text_feat_m (Tensor): ``(B, D)`` momentum, normalised.
            idx (Tensor, optional): ``(B,)`` image ids; required when
                ``use_image_ids``.

        Returns:
            dict: ``loss_itc`` and ``itc_temp`` (logged, not summed).
        """
        if self.use_image_ids and idx is None:
            raise ValueError('ITCHead(use_image_ids=True) needs image ids')
        idx = idx if self.use_image_ids else None
        image_feat_all = torch.cat([image_feat_m, self.image_queue.clone()])
        text_feat_all = torch.cat([text_feat_m, self.text_queue.clone()])
        sim_i2t, sim_t2i = self.get_logits(image_feat, text_feat,
                                           image_feat_all, text_feat_all)
        tgt_i2t, tgt_t2i = self.get_ground_truth(image_feat_m, text_feat_m,
                                                 image_feat_all,
                                                 text_feat_all, self.alpha,
                                                 idx)
        loss = (soft_cross_entropy(sim_i2t, tgt_i2t) +
                soft_cross_entropy(sim_t2i, tgt_t2i)) / 2
        self.enqueue(image_feat_m, text_feat_m, idx)
        return dict(
            loss_itc=loss * self.loss_weight,
            itc_temp=self.temp.detach().clone())

    @torch.no_grad()
    def enqueue(self, image_feat_m: torch.Tensor, text_feat_m: torch.Tensor,
                idx: Optional[torch.Tensor] = None) -> None:
        """Push the momentum features of all ranks into the queues."""
        image_feats = all_gather_no_grad(image_feat_m)
        text_feats = all_gather_no_grad(text_feat_m)
        n = image_feats.shape[0]
        if self.queue_size % n != 0:
            raise ValueError(
                f'ITC queue size {self.queue_size} is not divisible by the '
                f'global batch {n} (= batch x {dist.get_world_size()} '
                'ranks): choose a queue size that the global batch divides')
        ptr = int(self.queue_ptr)
        self.image_queue[ptr:ptr + n] = image_feats
        self.text_queue[ptr:ptr + n] = text_feats
        if idx is not None:
            self.idx_queue[ptr:ptr + n] = all_gather_no_grad(idx)
        self.queue_ptr.fill_((ptr + n) % self.queue_size)
