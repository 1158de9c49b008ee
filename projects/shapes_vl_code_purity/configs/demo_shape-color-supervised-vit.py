# As demo_shape-supervised-vit.py, from a ViT trained on shape and colour
# labels together (nearer to what a CLIP ViT knows). Make the start first:
#   python projects/shapes_vl_code_purity/tools/shape_supervised_vit.py \
#       configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py \
#       --labels shape+color --steps 600 \
#       --out work_dirs/shape_color_supervised_vit/vit.pth
_base_ = './demo_shape-supervised-vit.py'
load_from = 'work_dirs/shape_color_supervised_vit/vit.pth'
