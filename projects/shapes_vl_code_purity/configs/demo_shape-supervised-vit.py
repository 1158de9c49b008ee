# The demo config started from a ViT that already tells shapes apart, as
# the paper starts from a CLIP ViT. Make the start first (1,200 steps of
# multi-hot shape labels on the train split, 22 minutes on 2 older
# server CPU cores; single-object shape accuracy 0.717 with this seed):
#   python projects/shapes_vl_code_purity/tools/shape_supervised_vit.py \
#       configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \
#       --steps 1200 --seed 2 --out work_dirs/shape_supervised_vit/vit.pth
# Starts below about 0.6 (600 steps) may give codes that do not beat
# raw-pixel k-means on shape (this project's README).
# Everything else (4 epochs, learning rates, losses) is the demo's.
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
load_from = 'work_dirs/shape_supervised_vit/vit.pth'
# that file holds the ViT (and its momentum copy) only: a partial load on
# purpose (docs/reliability.md, checkpoint matching)
checkpoint_match = dict(allow_partial=True)
