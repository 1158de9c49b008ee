# The miniature ablation's generative task: VQA on Shapes-VL v2
# (configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py) with a short
# fine-tune of 300 steps (under 2 minutes on 1 core), so that a run stays
# near 5 minutes (docs/ablation_shapes_vl.md, "Budget"). From one
# checkpoint of the semmim variant (seed 0), 100 steps answered 36.7 % of
# the test questions, below the per-question-type prior (47.5 %); 300
# steps 52.1 %.
# tools/ablation/shapes_vl.py sets load_from and the seed.
_base_ = '../../../configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py'

max_iters = 300
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=10),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=False, begin=0,
         end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
