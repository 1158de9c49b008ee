# demo_single-object_15e with MLM as the only loss: no MIM heads, and the
# ITC, ITM and PLM losses weighted 0.
_base_ = './demo_single-object_15e.py'
model = dict(encoding_head=None, cls_head=None, mim_head=None,
             mask_generator=None,
             itc_head=dict(loss_weight=0.0), itm_head=dict(loss_weight=0.0),
             plm_head=dict(loss_weight=0.0))
