# The full model's DINO schedule for the momentum image encoder and head (0.996 ->
# 1.0, cosine) instead of the demo's fast 0.95; the ITC towers keep 0.95.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
model = dict(teacher=dict(momentum=dict(momentum=0.996, end_momentum=1.0)))
