# Table 4 "w/o MIM" in miniature (configs/semmim/ablations/
# pretrain_4m_mim-none.py): no masked image modelling (no L_patch, no
# masking). L_cls stays, as in the full-size row.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
model = dict(mim_head=None, mask_generator=None)
