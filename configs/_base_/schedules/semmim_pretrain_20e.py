# Paper Section 4.2: AdamW, weight decay 0.02 (none on biases, norms, the
# ViT's position embeddings, [CLS] and [MASK] tokens, BERT's word, position
# and token-type embeddings, the ITC temperature; docs/design.md);
# learning rate 1e-5 for the ViT and
# 1e-4 for the rest, linear warm-up over 1000 iterations, cosine decay to
# 1e-6; 20 epochs. fused=True: one kernel for the whole AdamW update (CPU
# and CUDA); on a 2-core CPU the default foreach AdamW step of the full
# model takes 1.2-2.3 s against ~0.3 s fused (see docs/benchmarks.md).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.02, fused=True),
    constructor='VLOptimWrapperConstructor',
    paramwise_cfg=dict(
        lr_mult={'vision_backbone': 0.1},
        no_decay_keys=('pos_embed', 'cls_token', 'mask_token', 'embeddings',
                       'itc_head.temp')))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=1000),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20)

# pre-training-specific schedules (docs/design.md#centres-and-temperatures,
# docs/design.md#momentum-encoders)
custom_hooks = [
    dict(type='BadSampleLoggerHook'),
    dict(type='RNGStateHook'),
    dict(type='MomentumUpdateHook'),
    dict(type='TeacherTempWarmupHook', start=0.04, end=0.07,
         warmup_ratio=0.3),
    # momentum distillation weight ramps up over the first epoch (ALBEF)
    dict(type='WarmupParamHook', module_name='itc_head', param_name='alpha',
         warmup_epochs=1),
    dict(type='WarmupParamHook', module_name='mlm_head', param_name='alpha',
         warmup_epochs=1),
]

# 8 GPUs x 128; MMEngine scales the lr linearly when auto-scaling is on
auto_scale_lr = dict(base_batch_size=1024, enable=False)
