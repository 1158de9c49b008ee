# The demo config started from a ViT that already tells shapes apart, as
# the paper starts from a CLIP ViT. Make the start first (600 steps of
# multi-hot shape labels on the train split, about 4 minutes on 2 cores):
#   python tools/analysis_tools/shape_supervised_vit.py \
#       configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \
#       --steps 600 --out work_dirs/shape_supervised_vit/vit.pth
# Everything else (4 epochs, learning rates, losses) is the demo's.
_base_ = '../semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
load_from = 'work_dirs/shape_supervised_vit/vit.pth'
