# Shapes-VL retrieval fine-tuning on 2 CPU cores, from the demo's
# pre-training checkpoint (ITC + ITM, then two-stage evaluation).
#   python tools/train.py configs/retrieval/semmim-retrieval_small_1xb64-3e_shapes-vl.py \
#       --cfg-options load_from=work_dirs/demo/pretrain/last.pth
_base_ = [
    '../_base_/models/semmim-retrieval_small.py',
    '../_base_/datasets/shapes_vl_retrieval.py',
    '../_base_/schedules/retrieval_finetune.py',
    '../_base_/default_runtime.py',
]
model = dict(
    itc_head=dict(use_image_ids=True, batch_candidates='online',
                  queue_size=0),
    momentum=dict(momentum=0.95),
    topk=16)
optim_wrapper = dict(optimizer=dict(lr=2e-4, fused=True),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=3, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=3, val_interval=3)
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=3, max_keep_ckpts=1))
