"""BERT-style token masking for masked language modelling."""
from typing import Optional, Sequence, Tuple

import torch


def mask_tokens(ids: torch.Tensor,
                vocab_size: int,
                mask_token_id: int,
                special_ids: Sequence[int],
                prob: float = 0.15,
                generator: Optional[torch.Generator] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Choose ``prob`` of the tokens (special tokens excluded); replace 80%
    of them by [MASK], 10% by a random token, keep 10%.

    Args:
        ids (Tensor): ``(B, L)`` token ids.
        vocab_size (int): Vocabulary size (for random replacements).
        mask_token_id (int): Id of [MASK].
        special_ids (Sequence[int]): Ids never chosen ([PAD], [CLS], ...).
        prob (float): Masking probability. Defaults to 0.15.
        generator (torch.Generator, optional): For reproducible tests.

    Returns:
        tuple[Tensor]: Masked ids ``(B, L)`` and labels ``(B, L)`` holding the
        original id at chosen positions and -100 elsewhere.
    """
    def rand(shape):
        return torch.rand(shape, device=ids.device, generator=generator)

    chosen = rand(ids.shape) < prob
    for sid in special_ids:
        chosen &= ids != sid
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = rand(ids.shape)
    to_mask = chosen & (roll < 0.8)
    to_random = chosen & (roll >= 0.8) & (roll < 0.9)
    random_ids = torch.randint(
        vocab_size, ids.shape, device=ids.device, generator=generator)
    out = torch.where(to_mask, torch.full_like(ids, mask_token_id), ids)
    out = torch.where(to_random, random_ids, out)
    return out, labels
