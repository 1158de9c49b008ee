# Table 5 "random" in miniature (configs/semmim/ablations/
# pretrain_4m_mask-random.py): uniform instead of text-guided masking, at
# the same 30 %.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
model = dict(mask_generator=dict(masking='random'))
