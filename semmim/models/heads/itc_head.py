"""L_itc: image-text contrastive learning with a momentum queue (ALBEF)."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
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
        embed_dims (int): Width of the image features. Defaults to 768.
        text_dims (int, optional): Width of the text features. Defaults to
            ``embed_dims``.
        proj_dims (int): Joint space width. Defaults to 256.
        queue_size (int): Queue length; 0 contrasts within the batch only.
            Defaults to 65536.
        temperature (float): Initial temperature. Defaults to 0.07.
        temperature_range (tuple): Clamp range. Defaults to (0.001, 0.5).
        alpha (float): Distillation weight after the ramp. Defaults to 0.4.
        use_image_ids (bool): Treat every pair with the same image id as a
            positive (retrieval fine-tuning). Defaults to False.
        batch_candidates (str): Which features of the current batch the
            online features are contrasted with: ``'momentum'`` (ALBEF) or
            ``'online'`` (CLIP-style, gradients through both towers; the
            queue and the distillation targets stay momentum features).
            ALBEF's choice needs diverse momentum features, which pretrained
            encoders have; encoders trained from scratch start with nearly
            identical features (cosine ~0.9998), the momentum-only loss then
            has almost no gradient, and short from-scratch runs (the CPU
            demo) need ``'online'``. Defaults to 'momentum'.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 embed_dims: int = 768,
                 text_dims: Optional[int] = None,
                 proj_dims: int = 256,
                 queue_size: int = 65536,
                 temperature: float = 0.07,
                 temperature_range=(0.001, 0.5),
                 alpha: float = 0.4,
                 use_image_ids: bool = False,
                 batch_candidates: str = 'momentum',
                 loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.vision_proj = nn.Linear(embed_dims, proj_dims)
        self.text_proj = nn.Linear(text_dims or embed_dims, proj_dims)
        self.temp = nn.Parameter(torch.tensor(float(temperature)))
        self.temperature_range = tuple(temperature_range)
        self.alpha = alpha
        self.use_image_ids = use_image_ids
        if batch_candidates not in ('momentum', 'online'):
            raise ValueError("batch_candidates must be 'momentum' or "
                             f"'online', got {batch_candidates!r}")
        self.batch_candidates = batch_candidates
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
            dict: ``loss_itc``, ``acc_itc`` (percent of images whose most
            similar text, batch and queue, is their own) and ``itc_temp``
            (logged, not summed).
        """
        if self.use_image_ids and idx is None:
            raise ValueError('ITCHead(use_image_ids=True) needs image ids')
        idx = idx if self.use_image_ids else None
        image_feat_all = torch.cat([image_feat_m, self.image_queue.clone()])
        text_feat_all = torch.cat([text_feat_m, self.text_queue.clone()])
        if self.batch_candidates == 'online':
            sim_i2t, sim_t2i = self.get_logits(
                image_feat, text_feat,
                torch.cat([image_feat, self.image_queue.clone()]),
                torch.cat([text_feat, self.text_queue.clone()]))
        else:
            sim_i2t, sim_t2i = self.get_logits(image_feat, text_feat,
                                               image_feat_all, text_feat_all)
        tgt_i2t, tgt_t2i = self.get_ground_truth(image_feat_m, text_feat_m,
                                                 image_feat_all,
                                                 text_feat_all, self.alpha,
                                                 idx)
        loss = (soft_cross_entropy(sim_i2t, tgt_i2t) +
                soft_cross_entropy(sim_t2i, tgt_t2i)) / 2
        with torch.no_grad():
            # does the image's top match (batch + queue) hit a positive?
            # (the hard targets: momentum-distilled ones are never 0)
            hard_i2t, _ = self.get_ground_truth(
                image_feat_m, text_feat_m, image_feat_all, text_feat_all,
                0.0, idx)
            hits = hard_i2t.gather(1, sim_i2t.argmax(1, keepdim=True)) > 0
            if idx is None:
                hits = sim_i2t.argmax(1) == torch.arange(
                    sim_i2t.shape[0], device=sim_i2t.device)
            acc = hits.float().mean() * 100
        self.enqueue(image_feat_m, text_feat_m, idx)
        return dict(
            loss_itc=loss * self.loss_weight,
            acc_itc=acc,
            itc_temp=self.temp.detach().clone())

    @torch.no_grad()
    def enqueue(self, image_feat_m: torch.Tensor, text_feat_m: torch.Tensor,
                idx: Optional[torch.Tensor] = None) -> None:
        """Push the momentum features of all ranks into the queues.

        Writes wrap around the end of the queue, so the global batch need
        not divide the queue size (a last partial batch, gradient
        accumulation or an odd number of ranks keep working).
        """
        image_feats = all_gather_no_grad(image_feat_m)
        text_feats = all_gather_no_grad(text_feat_m)
        n = image_feats.shape[0]
        if self.queue_size == 0:
            return
        if n >= self.queue_size:
            image_feats, text_feats = image_feats[-self.queue_size:], \
                text_feats[-self.queue_size:]
            n = self.queue_size
        ptr = int(self.queue_ptr)
        slots = (ptr + torch.arange(n, device=self.queue_ptr.device)) % \
            self.queue_size
        # under autocast the features are bf16/fp16; the queues stay fp32
        self.image_queue[slots] = image_feats[-n:].to(self.image_queue.dtype)
        self.text_queue[slots] = text_feats[-n:].to(self.text_queue.dtype)
        if idx is not None:
            self.idx_queue[slots] = all_gather_no_grad(idx)[-n:]
        self.queue_ptr.fill_((ptr + n) % self.queue_size)
