# The demo config without text injection (paper Table 7 "-"): the L_patch
# targets and the masked pass see the image only. On Shapes-VL the injected
# caption is shared by every patch of an image; does it make the codes
# caption-level?
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
model = dict(vision_backbone=dict(text_inject_start=None))
