# The demo config on the single-object train images only (1,345 of 4,000;
# every caption is about one object, so a shape word cannot be bound to the
# wrong object), 15 epochs (315 steps). Write the annotation file first:
#   python tools/dataset_converters/shapes_vl_subset.py --max-objects 1 \
#       --out annotations/pretrain_train_1-object.json
_base_ = '../../../configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py'
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
