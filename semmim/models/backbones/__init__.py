from .bert_decoder import BertDecoder
from .bert_fusion_encoder import BertFusionEncoder
from .bert_text_encoder import BertTextEncoder
from .semmim_vit import SemMIMVisionTransformer

__all__ = [
    'BertDecoder', 'BertFusionEncoder', 'BertTextEncoder',
    'SemMIMVisionTransformer'
]
