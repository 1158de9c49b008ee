# demo_single-object_itc-only_15e with the text side initialised from
# MiniLM (see ../semmim_vit-t-p8_1xb64-cpu_shapes-vl_minilm-text.py): does
# a text encoder that starts out knowing the shape words keep them?
# (MMEngine does not merge two bases that set the same keys, so the
# single-object, ITC-only settings are restated here.)
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl_minilm-text.py'
max_epochs = 15
train_dataloader = dict(
    dataset=dict(ann_file='annotations/pretrain_train_1-object.json'))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=3))
model = dict(encoding_head=None, cls_head=None, mim_head=None,
             mask_generator=None,
             itm_head=dict(loss_weight=0.0), mlm_head=dict(loss_weight=0.0),
             plm_head=dict(loss_weight=0.0))
