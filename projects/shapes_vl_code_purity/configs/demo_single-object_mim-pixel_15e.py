# demo_single-object_15e with the "raw pixels" MIM target (MAE-style
# regression of the masked patches' normalised pixels) instead of codes:
# filling in a masked patch of a flat-coloured object needs its outline,
# so does pixel MIM teach the ViT shapes where code distillation does not?
_base_ = './demo_single-object_15e.py'
model = dict(
    encoding_head=None,
    cls_head=None,
    mim_head=dict(_delete_=True, type='PixelMIMHead', embed_dims=192,
                  patch_size=8, norm_pix=True))
