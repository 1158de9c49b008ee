# More masking: half the patches of view 2 are predicted from context.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
model = dict(mask_generator=dict(mask_ratio=0.5))
