# Table 7 "1" in miniature (configs/semmim/ablations/
# pretrain_4m_inject-1.py): text injected from the first ViT layer on, i.e.
# into all 4 layers of the small ViT instead of the last one only. Of the
# paper's rows, "from layer 1" is the one that maps exactly onto a 4-layer
# ViT (every layer sees the text) and the one with the largest effect
# (R@1 80.0 / 62.9 against 81.5 / 64.2); its 6 and 9 (of 12) have no exact
# 4-layer counterpart.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
model = dict(vision_backbone=dict(text_inject_start=1))
