# Table 6: mask ratio 45% (default 30%).
_base_ = '../pretrain_4m.py'
model = dict(mask_generator=dict(mask_ratio=0.45))
