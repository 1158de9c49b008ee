# demo_shape-supervised-vit with the paper's 0.1 learning-rate multiplier
# for a pretrained ViT, so that the shape-trained start is not washed out.
# (README rows from a 600-step start, B, and a 1,200-step one, F.)
_base_ = './demo_shape-supervised-vit.py'
optim_wrapper = dict(paramwise_cfg=dict(lr_mult={'vision_backbone': 0.1}))
