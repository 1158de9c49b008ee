"""Split captions into a prefix and a suffix for prefix language modelling."""
from typing import Optional, Tuple

import torch


def word_start_table(tokenizer) -> torch.Tensor:
    """``(V,)`` bool: True for tokens that start a word (no ``##``)."""
    vocab = tokenizer.get_vocab()
    table = torch.ones(max(vocab.values()) + 1, dtype=torch.bool)
    for token, idx in vocab.items():
        if token.startswith('##'):
            table[idx] = False
    return table


def split_prefix(ids: torch.Tensor,
                 mask: torch.Tensor,
                 word_start: torch.Tensor,
                 cls_id: int,
                 sep_id: int,
                 pad_id: int,
                 generator: Optional[torch.Generator] = None
                 ) -> Tuple[torch.Tensor, ...]:
    """Split each caption before a random word, all rows at once.

    A caption ``[CLS] w1 .. wn [SEP]`` split before word ``k`` gives the
    prefix ``[CLS] w1 .. w(k-1) [SEP]`` (for the text and fusion encoders)
    and the target ``[CLS] wk .. wn [SEP]`` (decoder input; [CLS] serves as
    the start token and is not predicted). ``k`` is uniform over the words,
    so the prefix may be empty: then the step is plain captioning, which is
    what downstream captioning needs.

    Args:
        ids (Tensor): ``(B, L)`` token ids, [CLS] first, [SEP] last.
        mask (Tensor): ``(B, L)`` attention mask.
        word_start (Tensor): ``(V,)`` bool table (:func:`word_start_table`).
        cls_id, sep_id, pad_id (int): Special token ids.
        generator (torch.Generator, optional): For reproducible tests.

    Returns:
        tuple[Tensor]: ``prefix_ids``, ``prefix_mask`` ``(B, Lp)``,
        ``target_ids``, ``target_mask`` ``(B, Lt)``, and the split positions
        ``(B,)`` (index in ``ids`` of the first target token).
    """
    B, L = ids.shape
    device = ids.device
    lengths = mask.long().sum(1)
    pos = torch.arange(L, device=device)[None, :].expand(B, L)
    cand = (pos >= 1) & (pos <= (lengths - 2)[:, None]) & \
        word_start.to(device)[ids]
    # a caption without words: target is just [SEP]
    cand[:, 1] |= ~cand.any(1)
    scores = torch.rand(B, L, device=device, generator=generator)
    split = scores.masked_fill(~cand, -1.).argmax(1)

    prefix_ids = torch.where(pos < split[:, None], ids,
                             torch.full_like(ids, pad_id))
    prefix_ids = prefix_ids.scatter(1, split[:, None],
                                    torch.full_like(split[:, None], sep_id))
    prefix_mask = (pos <= split[:, None]).long()
    lp = int(split.max()) + 1

    src = (pos - 1 + split[:, None]).clamp(max=L - 1)
    target_ids = ids.gather(1, src)
    target_ids[:, 0] = cls_id
    target_len = lengths - split + 1
    target_mask = (pos < target_len[:, None]).long()
    target_ids = torch.where(target_mask.bool(), target_ids,
                             torch.full_like(ids, pad_id))
    lt = int(target_len.max())
    return (prefix_ids[:, :lp], prefix_mask[:, :lp], target_ids[:, :lt],
            target_mask[:, :lt], split)
