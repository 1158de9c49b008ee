# Flickr30K 1K retrieval (as COCO, top 128 re-ranked, 10 epochs).
_base_ = [
    '../_base_/models/semmim-retrieval_vit-b16_bert-base.py',
    '../_base_/datasets/flickr30k_retrieval.py',
    '../_base_/schedules/retrieval_finetune.py',
    '../_base_/default_runtime.py',
]
model = dict(
    vision_backbone=dict(img_size=384),
    itc_head=dict(use_image_ids=True, queue_size=57600),
    topk=128)
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=0,
         end=10, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=10)
