"""Which patches to mask: text-guided (docs/design.md#text-guided-masking)
or random."""
from typing import Optional

import torch
import torch.nn as nn

from semmim.registry import MODELS

MASKING_MODES = ('text_guided', 'random')


@MODELS.register_module()
class TextGuidedMaskGenerator(nn.Module):
    """Sample ``M = round(mask_ratio * N)`` distinct patches per image.

    ``text_guided``: patch ``i`` is drawn with probability
    ``softmax_i(S_i / temperature)``, without replacement, where ``S_i`` is
    the similarity of patch ``i`` to the caption: the cosine of a patch and
    a text feature, or a similarity the caller computed (SemMIM's choices
    are in docs/design.md, "Text-guided masking, measured"). Regions the
    caption talks about are masked more often and must be recovered by
    reading the text. ``random``: uniform.

    Sampling without replacement for the whole batch in one call uses the
    Gumbel top-k trick: the ``M`` largest ``log p_i + Gumbel noise`` are a
    draw of ``M`` items one after another, each with probability
    proportional to ``p`` among those left.

    Args:
        mask_ratio (float): Fraction of patches masked. Defaults to 0.3.
        masking (str): 'text_guided' or 'random'. Defaults to 'text_guided'.
        temperature (float): tau_m of the softmax over patches. For a
            cosine in [-1, 1], 1.0 gives a gentle preference (at most e^2
            between two patches), smaller values a sharper one. Defaults
            to 1.0.
    """

    def __init__(self, mask_ratio: float = 0.3, masking: str = 'text_guided',
                 temperature: float = 1.0):
        super().__init__()
        if masking not in MASKING_MODES:
            raise ValueError(f'masking must be one of {MASKING_MODES}, got '
                             f'{masking!r}')
        if not 0 < mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in (0, 1), got {mask_ratio}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.mask_ratio = mask_ratio
        self.masking = masking
        self.temperature = temperature

    def num_masked(self, num_patches: int) -> int:
        return max(1, int(round(self.mask_ratio * num_patches)))

    def logits(self, patch_feat: Optional[torch.Tensor] = None,
               text_feat: Optional[torch.Tensor] = None,
               similarity: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``(B, N)`` log-probabilities up to a constant: S_i / tau_m.

        Args:
            patch_feat (Tensor): ``(B, N, D)`` L2-normalised patch features.
            text_feat (Tensor): ``(B, D)`` L2-normalised text features;
                with ``patch_feat``, S_i is their cosine.
            similarity (Tensor, optional): ``(B, N)`` patch-text
                similarities S_i computed by the caller (instead of the
                two features).
        """
        if similarity is None:
            if patch_feat is None or text_feat is None:
                raise ValueError('text-guided masking needs patch and text '
                                 'features or their similarity')
            similarity = torch.einsum('bnd,bd->bn', patch_feat.float(),
                                      text_feat.float())
        return similarity.float() / self.temperature

    def probabilities(self, patch_feat: Optional[torch.Tensor] = None,
                      text_feat: Optional[torch.Tensor] = None,
                      similarity: Optional[torch.Tensor] = None
                      ) -> torch.Tensor:
        """``(B, N)`` sampling distribution of the first masked patch."""
        return torch.softmax(
            self.logits(patch_feat, text_feat, similarity), dim=-1)

    @torch.no_grad()
    def forward(self,
                patch_feat: Optional[torch.Tensor] = None,
                text_feat: Optional[torch.Tensor] = None,
                batch_size: Optional[int] = None,
                num_patches: Optional[int] = None,
                generator: Optional[torch.Generator] = None,
                similarity: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Draw the masks.

        Args:
            patch_feat (Tensor, optional): ``(B, N, D)`` normalised; needed
                for text-guided masking.
            text_feat (Tensor, optional): ``(B, D)`` normalised.
            similarity (Tensor, optional): ``(B, N)`` patch-text
                similarities, instead of the features.
            batch_size, num_patches (int, optional): For random masking
                without features.
            generator (torch.Generator, optional): For reproducible tests.

        Returns:
            Tensor: ``(B, N)`` bool, True = masked; exactly ``M`` per row.
        """
        if self.masking == 'text_guided':
            logits = self.logits(patch_feat, text_feat, similarity)
        else:
            shaped = patch_feat if patch_feat is not None else similarity
            if shaped is not None:
                batch_size, num_patches = shaped.shape[:2]
                device = shaped.device
            else:
                device = text_feat.device if text_feat is not None else None
            logits = torch.zeros(batch_size, num_patches, device=device)
        u = torch.rand(
            logits.shape, device=logits.device,
            generator=generator).clamp_(1e-10, 1 - 1e-10)
        keys = logits - torch.log(-torch.log(u))
        idx = keys.topk(self.num_masked(logits.shape[1]), dim=1).indices
        mask = torch.zeros_like(logits, dtype=torch.bool)
        return mask.scatter_(1, idx, True)
