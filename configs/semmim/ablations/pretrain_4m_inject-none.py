# Table 7 "-": no text in masked modelling or in the patch targets.
_base_ = '../pretrain_4m.py'
model = dict(vision_backbone=dict(text_inject_start=None))
