# Table 7 "-" in miniature (configs/semmim/ablations/
# pretrain_4m_inject-none.py): no text in masked modelling or in the patch
# targets.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
model = dict(vision_backbone=dict(text_inject_start=None))
