# Table 4 "raw pixels": masked patches regress normalised pixels (MAE
# style). Only the MIM target changes; L_cls stays (docs/design.md,
# "Like-for-like ablations").
_base_ = '../pretrain_4m.py'
model = dict(
    mim_head=dict(_delete_=True, type='PixelMIMHead', embed_dims=768,
                  patch_size=16, norm_pix=True))
