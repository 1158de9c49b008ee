# Table 7: text injected from ViT layer 1 on (default 12: last layer only).
_base_ = '../pretrain_4m.py'
model = dict(vision_backbone=dict(text_inject_start=1))
