# Table 4 "raw pixels" in miniature (configs/semmim/ablations/
# pretrain_4m_mim-pixel.py): masked patches regress per-patch normalised
# pixels (MAE style), with the small ViT's width (192) and patch size (8).
# L_cls stays, as in the full-size row.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
model = dict(
    mim_head=dict(_delete_=True, type='PixelMIMHead', embed_dims=192,
                  patch_size=8, norm_pix=True))
