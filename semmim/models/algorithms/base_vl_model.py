"""What every semmim model shares: momentum copies and the ITM step."""
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine import dist
from mmengine.model import BaseModel

from ..utils.distributed import all_gather_no_grad, all_gather_with_grad
from ..utils.merged_passes import pad_tokens
from ..utils.momentum import MomentumEMA


class BaseVLModel(BaseModel):
    """Base of the pre-training and downstream models.

    * Momentum copies: a subclass calls :meth:`add_momentum` with a function
      that returns the online modules (as an ``nn.ModuleDict``); the copy is
      a :class:`MomentumEMA` attribute, updated by
      :class:`~semmim.engine.hooks.MomentumUpdateHook` through
      :meth:`update_momentum`, and re-synchronised with the online modules
      after :meth:`init_weights` (it was copied before weights were loaded).
    * :meth:`itm_loss`: image-text matching with hard negatives, shared by
      pre-training and retrieval fine-tuning. Needs ``fusion_encoder``,
      ``itm_head``, ``itc_head`` and ``itm_gather`` attributes.
    """

    def __init__(self, data_preprocessor=None, init_cfg=None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self._momentum_sources: Dict[str, Callable[[], nn.ModuleDict]] = {}

    @property
    def tokenizer(self):
        return getattr(self.data_preprocessor, 'tokenizer', None)

    # ------------------------------------------------------------------
    # momentum copies
    # ------------------------------------------------------------------
    def add_momentum(self, name: str, online: Callable[[], nn.ModuleDict],
                     **ema_cfg) -> MomentumEMA:
        """Create the EMA copy ``self.<name>`` of ``online()``."""
        ema = MomentumEMA(online(), **ema_cfg)
        setattr(self, name, ema)
        self._momentum_sources[name] = online
        return ema

    def momentum_modules(self) -> Dict[str, MomentumEMA]:
        return {name: getattr(self, name) for name in self._momentum_sources}

    @torch.no_grad()
    def update_momentum(self) -> None:
        """One EMA step of every momentum copy (called by the hook)."""
        for name, online in self._momentum_sources.items():
            getattr(self, name).update_parameters(online())

    def init_weights(self):
        super().init_weights()
        # copies were made at construction, before weights were
        # initialised or loaded: start them equal to the online modules
        for name, online in self._momentum_sources.items():
            getattr(self, name).copy_from(online())

    # ------------------------------------------------------------------
    # image-text matching
    # ------------------------------------------------------------------
    def itm_loss(self,
                 image: torch.Tensor,
                 text: torch.Tensor,
                 text_mask: torch.Tensor,
                 image_feat: torch.Tensor,
                 text_feat: torch.Tensor,
                 idx: Optional[torch.Tensor] = None
                 ) -> Dict[str, torch.Tensor]:
        """Fuse the positive pairs and one hard negative text per image and
        one hard negative image per text, and classify them (ALBEF).

        Candidates come from all ranks when ``self.itm_gather``; gathered
        features keep their gradients on every rank.

        Args:
            image (Tensor): ``(B, 1 + N, C)`` image tokens.
            text (Tensor): ``(B, L, C)`` text features.
            text_mask (Tensor): ``(B, L)``.
            image_feat, text_feat (Tensor): ``(B, D)`` ITC embeddings.
            idx (Tensor, optional): ``(B,)`` image ids; pairs sharing an id
                are positives, never negatives.
        """
        text, text_mask, images, rows, labels = self.itm_pair_rows(
            image, text, text_mask, image_feat, text_feat, idx)
        fused = self.fusion_encoder(text, text_mask, images, image_index=rows)
        return self.itm_head.loss(self.itm_head(fused[:, 0]), labels)

    def itm_pair_rows(self,
                      image: torch.Tensor,
                      text: torch.Tensor,
                      text_mask: torch.Tensor,
                      image_feat: torch.Tensor,
                      text_feat: torch.Tensor,
                      idx: Optional[torch.Tensor] = None
                      ) -> Tuple[torch.Tensor]:
        """The fusion inputs of :meth:`itm_loss`: ``3B`` pairs (positives,
        then negative texts, then negative images) as ``(text, text_mask,
        images, rows, labels)``: pair ``i`` is text row ``i`` with
        ``images[rows[i]]``, labelled 1 when matched. ``images`` is this
        rank's ``image`` or, when gathering, every rank's; the fusion
        encoder takes ``rows`` as its ``image_index`` and computes each
        image's keys and values once. Arguments as in :meth:`itm_loss`.
        """
        B = image.shape[0]
        gather = self.itm_gather and dist.get_world_size() > 1
        if gather:
            length = int(all_gather_no_grad(
                torch.tensor([text.shape[1]], device=text.device)).max())
            text, text_mask = pad_tokens(text, length), pad_tokens(
                text_mask, length)
            text_all = all_gather_with_grad(text)
            mask_all = all_gather_no_grad(text_mask)
            image_all = all_gather_with_grad(image)
            image_feat_all = all_gather_no_grad(image_feat)
            text_feat_all = all_gather_no_grad(text_feat)
            offset = dist.get_rank() * B
        else:
            text_all, mask_all, image_all = text, text_mask, image
            image_feat_all, text_feat_all, offset = image_feat, text_feat, 0
        with torch.no_grad():
            temp = self.itc_head.temp
            sim_i2t = image_feat @ text_feat_all.t() / temp
            sim_t2i = text_feat @ image_feat_all.t() / temp
            if idx is not None:
                idx_all = all_gather_no_grad(idx) if gather else idx
                positives = idx[:, None] == idx_all[None, :]
            else:
                positives = torch.zeros_like(sim_i2t, dtype=torch.bool)
                rows = torch.arange(B, device=image.device)
                positives[rows, rows + offset] = True
        neg_text, neg_image = self.itm_head.sample_negatives(
            sim_i2t, sim_t2i, positives)
        labels = torch.cat([
            torch.ones(B, dtype=torch.long),
            torch.zeros(2 * B, dtype=torch.long)
        ]).to(image.device)
        own = torch.arange(B, device=image.device) + offset
        return (torch.cat([text, text, text_all[neg_text]]),
                torch.cat([text_mask, text_mask, mask_all[neg_text]]),
                image_all, torch.cat([own, neg_image.to(own), own]), labels)

    @staticmethod
    def views(images) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        """``(view1, view2)`` of a batch: two views, or (None, the one)."""
        if isinstance(images, (list, tuple)):
            if len(images) == 1:
                return None, images[0]
            return images[0], images[-1]
        return None, images
