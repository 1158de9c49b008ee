"""The decoder D: causal BERT with cross-attention and an LM head."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from transformers import BertLMHeadModel

from semmim.registry import MODELS
from ..utils.bert import (cross_attention_rows, distinct_contexts,
                          index_cross_attention, make_bert_config)
from ..utils.pretrained_init import check_pretrained_file


@MODELS.register_module()
class BertDecoder(BaseModule):
    """transformers' ``BertLMHeadModel`` (causal self-attention,
    cross-attention to a context, LM head tied to its word embeddings).

    SemMIM initialises it from the whole bert-base-uncased (embeddings, 12
    layers, MLM head); the cross-attention starts random. State-dict keys
    are ``lm.<BertLMHeadModel keys>``.

    Args:
        num_layers (int): Defaults to 12.
        bert_cfg (dict, optional): ``BertConfig`` fields over bert-base.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self, num_layers: int = 12, bert_cfg: dict = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.config = make_bert_config(
            num_layers, bert_cfg, is_decoder=True, add_cross_attention=True)
        self.lm = BertLMHeadModel(self.config)
        index_cross_attention(self.lm.bert.encoder.layer)

    def init_weights(self):
        check_pretrained_file(self.init_cfg, 'bert', type(self).__name__)
        super().init_weights()

    @property
    def word_embeddings(self) -> torch.nn.Embedding:
        return self.lm.bert.embeddings.word_embeddings

    def hidden_states(self, ids, mask, context, context_mask,
                      context_index: Optional[torch.Tensor] = None):
        """Last hidden states ``(B, L, C)`` of the decoder.

        With ``context_index`` (``(B,)`` long), row ``b`` attends to
        ``context[context_index[b]]``: the same as passing the indexed
        context (and mask), with the cross-attention keys and values
        computed once for each context the index uses (VQA's answers per
        question, ranked candidates).
        """
        if context_index is not None:
            if context_mask is None:
                context_mask = context.new_ones(context.shape[:2],
                                                dtype=torch.long)
            context_mask = context_mask.index_select(0, context_index)
            context, context_index = distinct_contexts(context,
                                                       context_index)
        with cross_attention_rows(self.lm.bert.encoder.layer,
                                  context_index):
            return self.lm.bert(
                input_ids=ids,
                attention_mask=mask,
                encoder_hidden_states=context,
                encoder_attention_mask=context_mask,
                use_cache=False,
                return_dict=True).last_hidden_state

    def forward(self, ids: torch.Tensor, mask: torch.Tensor,
                context: torch.Tensor,
                context_mask: Optional[torch.Tensor] = None,
                context_index: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """Vocabulary logits ``(B, L, V)`` (teacher forcing)."""
        return self.lm.cls(self.hidden_states(ids, mask, context,
                                              context_mask, context_index))

    def token_loss(self,
                   ids: torch.Tensor,
                   mask: torch.Tensor,
                   context: torch.Tensor,
                   context_mask: Optional[torch.Tensor] = None,
                   label_smoothing: float = 0.0,
                   reduction: str = 'mean',
                   context_index: Optional[torch.Tensor] = None):
        """Next-token cross-entropy of ``ids`` given the context.

        Position ``t`` predicts ``ids[:, t + 1]``; padding is ignored. The
        vocabulary projection runs only where a target exists.

        Args:
            ids (Tensor): ``(B, L)`` decoder input, start token first.
            mask (Tensor): ``(B, L)`` attention mask.
            context (Tensor): ``(B, S, C)`` cross-attention context.
            context_mask (Tensor, optional): ``(B, S)``.
            label_smoothing (float): Defaults to 0.
            reduction (str): 'mean' over all target tokens, or 'sum' per
                sample (``(B,)``, for sequence scores). Defaults to 'mean'.
            context_index (Tensor, optional): ``(B,)``: row ``b`` attends to
                ``context[context_index[b]]`` (see :meth:`hidden_states`).

        Returns:
            tuple: loss, and token accuracy in percent (mean reduction) or
            the number of target tokens per sample ('sum').
        """
        hidden = self.hidden_states(ids, mask, context, context_mask,
                                    context_index)
        valid = mask[:, 1:].bool()
        logits = self.lm.cls(hidden[:, :-1][valid]).float()
        target = ids[:, 1:][valid]
        loss = F.cross_entropy(
            logits, target, label_smoothing=label_smoothing,
            reduction='none')
        if reduction == 'mean':
            acc = (logits.argmax(-1) == target).float().mean() * 100
            return loss.mean(), acc.detach()
        if reduction == 'sum':
            row = valid.nonzero()[:, 0]
            per_sample = loss.new_zeros(ids.shape[0]).index_add(0, row, loss)
            return per_sample, valid.sum(1)
        raise ValueError(f'unknown reduction {reduction!r}')

    @torch.no_grad()
    def generate(self,
                 context: torch.Tensor,
                 context_mask: Optional[torch.Tensor],
                 bos_id: int,
                 eos_id: int,
                 pad_id: int,
                 prompt_ids: Optional[torch.Tensor] = None,
                 **gen_kwargs) -> torch.Tensor:
        """Generate token ids with transformers' ``generate`` (greedy or
        beam search, key-value cache on).

        Args:
            context (Tensor): ``(B, S, C)``.
            context_mask (Tensor, optional): ``(B, S)``.
            bos_id, eos_id, pad_id (int): Start, end and padding ids.
            prompt_ids (Tensor, optional): ``(B, P)`` forced start
                (defaults to ``[bos]``).
            **gen_kwargs: e.g. ``num_beams``, ``max_length``,
                ``min_length``, ``length_penalty``, ``num_return_sequences``.

        Returns:
            Tensor: ``(B * num_return_sequences, L)`` ids, starting with the
            prompt.
        """
        B = context.shape[0]
        if prompt_ids is None:
            prompt_ids = torch.full((B, 1), bos_id, dtype=torch.long,
                                    device=context.device)
        if context_mask is None:
            context_mask = context.new_ones(context.shape[:2],
                                            dtype=torch.long)
        gen_kwargs.setdefault('use_cache', True)
        return self.lm.generate(
            input_ids=prompt_ids,
            attention_mask=torch.ones_like(prompt_ids),
            encoder_hidden_states=context,
            encoder_attention_mask=context_mask,
            eos_token_id=eos_id,
            pad_token_id=pad_id,
            **gen_kwargs)
