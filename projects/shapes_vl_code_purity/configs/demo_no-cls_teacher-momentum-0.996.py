# demo_no-cls with the full model's momentum schedule for the image encoder and head.
_base_ = './demo_teacher-momentum-0.996.py'
model = dict(cls_head=None)
