from .cls_distill_head import CLSDistillHead
from .itc_head import ITCHead
from .itm_head import ITMHead
from .mlm_head import MLMHead
from .patch_distill_head import PatchDistillHead
from .plm_head import PrefixLMHead

__all__ = [
    'CLSDistillHead', 'ITCHead', 'ITMHead', 'MLMHead', 'PatchDistillHead',
    'PrefixLMHead'
]
