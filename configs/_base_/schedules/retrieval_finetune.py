# Retrieval fine-tuning (ALBEF's recipe): AdamW lr 1e-5, weight decay 0.02,
# cosine decay; the epochs are set by the leaf config. fused=True: one
# kernel for the whole update, as in pre-training (the default foreach
# AdamW was 40 % of a batch-2 CPU step; docs/benchmarks.md, the peer
# comparison).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-5, weight_decay=0.02, fused=True),
    constructor='VLOptimWrapperConstructor',
    paramwise_cfg=dict(no_decay_keys=('pos_embed', 'mask_token')))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=6, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6, val_interval=1)
custom_hooks = [
    dict(type='BadSampleLoggerHook'),
    dict(type='RNGStateHook'),
    dict(type='MomentumUpdateHook'),
    dict(type='WarmupParamHook', module_name='itc_head', param_name='alpha',
         warmup_epochs=1),
]
auto_scale_lr = dict(base_batch_size=256, enable=False)
