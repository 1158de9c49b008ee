# The miniature ablation's reference row: the Shapes-VL v2 demo recipe as
# it is (text-guided masking of 30 % of the patches, semantic patch codes
# as MIM targets, text injected into the last of the 4 ViT layers).
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
