# Table 5: random instead of text-guided masking.
_base_ = '../pretrain_4m.py'
model = dict(mask_generator=dict(masking='random'))
