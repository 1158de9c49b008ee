"""Cross-entropy between a target distribution and predicted logits."""
import torch
import torch.nn.functional as F


def soft_cross_entropy(logits: torch.Tensor,
                       target: torch.Tensor,
                       reduction: str = 'mean') -> torch.Tensor:
    """``-sum_k target_k * log_softmax(logits)_k`` over the last dim.

    Args:
        logits (Tensor): ``(..., K)`` unnormalised predictions.
        target (Tensor): ``(..., K)`` probabilities (rows sum to 1).
        reduction (str): 'mean', 'sum' or 'none'. Defaults to 'mean'.

    Returns:
        Tensor: The loss.
    """
    loss = -(target * F.log_softmax(logits, dim=-1)).sum(dim=-1)
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'none':
        return loss
    raise ValueError(f'unknown reduction {reduction!r}')
