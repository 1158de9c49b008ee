default_scope = 'semmim'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    # glibc keeps freed CPU memory for the next step instead of unmapping it
    # (semmim.cpu.malloc; 1.2x on the full-size CPU step)
    keep_freed_cpu_memory=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# scalars.json (read by tools/analysis_tools/plot_curves.py) and TensorBoard
# event files, both under <work_dir>/<timestamp>/vis_data. TensorBoard is an
# optional extra: without it the second backend warns once and does nothing.
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend'),
]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_processor = dict(window_size=10, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
