"""Ablation: masked image modelling with dVAE tokens as targets."""
from typing import Dict, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from semmim.registry import MODELS
from ..utils.data_preprocessor import CLIP_MEAN, CLIP_STD


@MODELS.register_module()
class DVAEMIMHead(BaseModule):
    """Predict the DALL-E dVAE token of each masked patch (BEiT, VL-BEiT):
    the paper's "dVAE" row of Table 4.

    The tokenizer is mmpretrain's ``DALL-E`` encoder (frozen; its weights
    file must be given in its ``init_cfg``, see the ablation config). It
    downsamples 8x, so the view is resized to ``8 x`` the ViT's patch grid
    (112 px for ViT-B/16 at 224, as BEiT) after mapping pixels into
    ``[0.1, 0.9]`` (DALL-E's ``map_pixels``). A linear layer predicts the
    token of each masked patch; cross-entropy, reported as ``loss_patch``.

    Args:
        embed_dims (int): Token width. Defaults to 768.
        tokenizer (dict): The dVAE encoder config. Defaults to DALL-E.
        num_tokens (int): dVAE vocabulary. Defaults to 8192.
        mean, std (Sequence[float]): The image normalisation to undo
            (the data preprocessor's; CLIP's by default).
        loss_weight (float): Defaults to 1.0.
    """

    uses_codes = False

    def __init__(self,
                 embed_dims: int = 768,
                 tokenizer: dict = dict(type='DALL-E'),
                 num_tokens: int = 8192,
                 mean: Sequence[float] = CLIP_MEAN,
                 std: Sequence[float] = CLIP_STD,
                 loss_weight: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.tokenizer = MODELS.build(tokenizer)
        self.tokenizer.requires_grad_(False)
        self.cls = nn.Linear(embed_dims, num_tokens)
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1),
                             persistent=False)
        self.loss_weight = loss_weight

    def train(self, mode: bool = True):
        super().train(mode)
        self.tokenizer.eval()  # frozen, always inference
        return self

    @torch.no_grad()
    def targets(self, images: torch.Tensor, grid: int) -> torch.Tensor:
        """dVAE token ids ``(B, grid * grid)`` of normalised images."""
        x = (images.float() * self.std + self.mean) / 255.
        x = F.interpolate(x, size=(8 * grid, 8 * grid), mode='bilinear',
                          align_corners=False).clamp(0, 1)
        x = 0.8 * x + 0.1
        return self.tokenizer(x).argmax(1).flatten(1)

    def loss(self, masked_tokens: torch.Tensor, mask: torch.Tensor,
             images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: as :meth:`PixelMIMHead.loss`."""
        grid = int(round(mask.shape[1]**0.5))
        target = self.targets(images, grid)[mask]
        logits = self.cls(masked_tokens).float()
        return dict(loss_patch=F.cross_entropy(logits, target) *
                    self.loss_weight)
