"""Ablation: masked image modelling with raw pixels as targets."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.heads import MAEPretrainHead

from semmim.registry import MODELS


@MODELS.register_module()
class PixelMIMHead(BaseModule):
    """Regress the (per-patch normalised) pixels of masked patches, as MAE,
    VLMAE and M3AE do: the paper's "raw pixels" row of Table 4.

    A linear layer maps each masked token to ``patch_size^2 * 3`` values;
    the targets come from mmpretrain's ``MAEPretrainHead.construct_target``
    (patchify + ``norm_pix``). The loss is the mean squared error over the
    masked patches, reported as ``loss_patch`` so curves compare with ours.

    Args:
        embed_dims (int): Token width. Defaults to 768.
        patch_size (int): ViT patch size. Defaults to 16.
        norm_pix (bool): Normalise each target patch. Defaults to True.
        loss_weight (float): Defaults to 1.0.
    """

    #: the algorithm feeds masked tokens and the image, not codes
    uses_codes = False

    def __init__(self, embed_dims: int = 768, patch_size: int = 16,
                 norm_pix: bool = True, loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.decoder = nn.Linear(embed_dims, patch_size**2 * 3)
        self.targets = MAEPretrainHead(
            loss=dict(type='PixelReconstructionLoss', criterion='L2'),
            norm_pix=norm_pix, patch_size=patch_size)
        self.loss_weight = loss_weight

    def loss(self, masked_tokens: torch.Tensor, mask: torch.Tensor,
             images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args:
            masked_tokens (Tensor): ``(M, C)`` encoder outputs at the masked
                patches (row-major ``mask`` order).
            mask (Tensor): ``(B, N)`` bool.
            images (Tensor): ``(B, 3, H, W)`` the (normalised) view.
        """
        target = self.targets.construct_target(images.float())[mask]
        loss = F.mse_loss(self.decoder(masked_tokens).float(), target)
        return dict(loss_patch=loss * self.loss_weight)
