# SCST on Shapes-VL after the CPU cross-entropy run
# (semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py): CIDEr-D reward of 5 beam
# candidates per image, mean-reward baseline, 60 steps of 32 images.
#   python tools/train.py configs/caption/semmim-caption_vit-t-p8_1xb32-scst_shapes-vl.py
#   python tools/test.py configs/caption/semmim-caption_vit-t-p8_1xb32-scst_shapes-vl.py \
#       work_dirs/semmim-caption_vit-t-p8_1xb32-scst_shapes-vl/iter_60.pth
_base_ = ['./semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py']

load_from = ('work_dirs/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl/'
             'iter_160.pth')
max_iters = 60

model = dict(
    plm_head=dict(label_smoothing=0.0),
    scst=True,
    scst_cfg=dict(
        num_candidates=5,
        cider_ann_file='data/shapes_vl/annotations/caption_train.json'))
train_dataloader = dict(
    batch_size=32,
    dataset=dict(group_by_image=True,
                 pipeline={{_base_.scst_train_pipeline}}))
optim_wrapper = dict(optimizer=dict(lr=2e-5))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=False, begin=0,
         end=max_iters),
]
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
