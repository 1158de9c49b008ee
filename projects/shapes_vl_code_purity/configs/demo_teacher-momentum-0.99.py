# A momentum image encoder between the demo's and the full model's (0.99 -> 1.0,
# cosine; a half-life of about 70 steps at the start).
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
model = dict(teacher=dict(momentum=dict(momentum=0.99, end_momentum=1.0)))
