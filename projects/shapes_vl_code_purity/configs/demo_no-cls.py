# No L_cls: the shared encoding head is trained by L_patch alone (asks
# whether the near-uniform [CLS] targets wash the head out).
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
model = dict(cls_head=None)
