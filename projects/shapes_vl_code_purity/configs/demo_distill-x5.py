# L_cls and L_patch weighted 5x (against MLM, PLM, ITC and ITM).
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
model = dict(cls_head=dict(loss_weight=5.0), mim_head=dict(loss_weight=5.0))
