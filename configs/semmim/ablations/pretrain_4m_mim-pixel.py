# Table 4 "raw pixels": masked patches regress normalised pixels (MAE style);
# no [CLS] agreement (it exists to shape the code space, unused here).
_base_ = '../pretrain_4m.py'
model = dict(
    encoding_head=None,
    cls_head=None,
    mim_head=dict(_delete_=True, type='PixelMIMHead', embed_dims=768,
                  patch_size=16, norm_pix=True))
