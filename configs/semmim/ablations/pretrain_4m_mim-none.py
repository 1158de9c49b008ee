# Table 4 "w/o MIM": no masked image modelling (no L_patch, no masking).
# Only the MIM target changes between the Table 4 rows, so L_cls stays
# (docs/design.md, "Like-for-like ablations").
_base_ = '../pretrain_4m.py'
model = dict(mim_head=None, mask_generator=None)
