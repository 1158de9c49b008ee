# demo_shape-then-color-supervised-vit with the paper's 0.1 learning-rate
# multiplier for a pretrained ViT, so that a start that knows both shape
# and colour keeps what it knows.
_base_ = './demo_shape-then-color-supervised-vit.py'
optim_wrapper = dict(paramwise_cfg=dict(lr_mult={'vision_backbone': 0.1}))
