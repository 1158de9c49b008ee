# Table 6 "15%" in miniature (configs/semmim/ablations/
# pretrain_4m_mask-ratio-15.py): text-guided masking of 15 % of the patches
# (10 of 64) instead of 30 %.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
model = dict(mask_generator=dict(mask_ratio=0.15))
