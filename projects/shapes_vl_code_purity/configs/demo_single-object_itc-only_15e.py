# demo_single-object_15e with ITC as the only loss: no MIM heads, and the
# ITM, MLM and PLM losses weighted 0 (they still run, so the ITM hard
# negatives are sampled as usual).
_base_ = './demo_single-object_15e.py'
model = dict(encoding_head=None, cls_head=None, mim_head=None,
             mask_generator=None,
             itm_head=dict(loss_weight=0.0), mlm_head=dict(loss_weight=0.0),
             plm_head=dict(loss_weight=0.0))
