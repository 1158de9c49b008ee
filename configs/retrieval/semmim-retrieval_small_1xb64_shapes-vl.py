# Shapes-VL retrieval on a 2-core CPU: ITC (image-id-aware targets) + ITM
# fine-tuning of the demo's pre-trained model (tools/demo.sh), then the
# two-stage evaluation of the test split (500 images, 2,500 captions; ITC
# for all pairs, the 16 best of each query re-ranked by ITM), printed next
# to the recall of a random ranking.
#   python tools/train.py configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl.py
#   python tools/test.py configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl.py \
#       work_dirs/semmim-retrieval_small_1xb64_shapes-vl/iter_200.pth
_base_ = [
    '../_base_/models/semmim-retrieval_small.py',
    '../_base_/datasets/shapes_vl_retrieval.py',
    '../_base_/schedules/retrieval_finetune.py',
    '../_base_/default_runtime.py',
]

load_from = 'work_dirs/demo/pretrain/last.pth'
# 200 steps of 64 captions (0.64 of the 20K training captions): what fits
# the 10-minute CPU budget together with the evaluation
max_iters = 200

model = dict(
    # no queue: in a short run its features would be stale
    itc_head=dict(use_image_ids=True, batch_candidates='online',
                  queue_size=0),
    momentum=dict(momentum=0.95),
    topk=16)
# The demo model was pre-trained for minutes, not days: a high rate.
optim_wrapper = dict(optimizer=dict(lr=2e-4, fused=True),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=False, begin=0,
         end=max_iters),
]
train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters)
# the test split is evaluated once at the end (tools/test.py)
val_dataloader = None
val_evaluator = None
val_cfg = None
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
