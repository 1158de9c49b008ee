from .cls_distill_head import CLSDistillHead
from .dvae_mim_head import DVAEMIMHead
from .itc_head import ITCHead
from .itm_head import ITMHead
from .mlm_head import MLMHead
from .patch_distill_head import PatchDistillHead
from .pixel_mim_head import PixelMIMHead
from .plm_head import PrefixLMHead

__all__ = [
    'CLSDistillHead', 'DVAEMIMHead', 'ITCHead', 'ITMHead', 'MLMHead',
    'PatchDistillHead', 'PixelMIMHead', 'PrefixLMHead'
]
