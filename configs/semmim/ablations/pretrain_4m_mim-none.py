# Table 4 "w/o MIM": the mPLUG-style baseline (ITC, ITM, MLM, PLM only).
_base_ = '../pretrain_4m.py'
model = dict(encoding_head=None, cls_head=None, mim_head=None,
             mask_generator=None)
