# As demo_shape-supervised-vit.py, from a ViT trained on shape labels first
# and then on shape and colour labels (start C, trained on both from the
# beginning, takes the colour shortcut and keeps little shape). Make the
# start first, in two runs of the tool:
#   python projects/shapes_vl_code_purity/tools/shape_supervised_vit.py \
#       configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \
#       --steps 600 --out work_dirs/shape_then_color/shape_vit.pth
#   python projects/shapes_vl_code_purity/tools/shape_supervised_vit.py \
#       configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \
#       --labels shape+color --steps 200 \
#       --init work_dirs/shape_then_color/shape_vit.pth \
#       --out work_dirs/shape_then_color/vit.pth
_base_ = './demo_shape-supervised-vit.py'
load_from = 'work_dirs/shape_then_color/vit.pth'
