# The demo config without MIM (SemMIM's "w/o MIM" ablation: ITC, ITM, MLM,
# PLM only), 8 epochs: is the self-distillation what keeps the ViT from
# learning shapes? (No: shape stays at chance.)
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
max_epochs = 8
model = dict(encoding_head=None, cls_head=None, mim_head=None,
             mask_generator=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=2))
