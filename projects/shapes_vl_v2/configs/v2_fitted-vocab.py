# Run 2 of docs/shapes_vl_v2.md: the v2 demo config
# (configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py: a 72-token
# vocabulary fitted to v2, 2 epochs of the first 3584 training images = 112
# steps, <= 24.5 TFLOP). The variants in this folder inherit it.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'
