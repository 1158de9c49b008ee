# SemMIM pre-training on 4M images (COCO, VG, CC3M, SBU): ViT-B/16 at 224 px
# from CLIP, BERT-base towers, K = 1024, 30% text-guided masking, text in
# the last ViT layer; AdamW, 20 epochs, 8 GPUs x 128.
#   bash tools/dist_train.sh configs/semmim/pretrain_4m.py 8
_base_ = [
    '../_base_/models/semmim_vit-b16_bert-base.py',
    '../_base_/datasets/pretrain_4m.py',
    '../_base_/schedules/semmim_pretrain_20e.py',
    '../_base_/default_runtime.py',
]

# initialisation (docs/design.md#architecture) from the two files the converters write
# (docs/pretrained_weights.md):
#   python tools/model_converters/clip_to_semmim.py ViT-B-16.pt \
#       data/pretrained/clip_vit-b16_semmim.pth
#   python tools/model_converters/bert_to_semmim.py \
#       data/pretrained/bert-base-uncased \
#       data/pretrained/bert-base-uncased_semmim.pth
# Each part reads its own keys (prefix); cross-attention, heads and the
# [MASK] token start random.
clip_checkpoint = 'data/pretrained/clip_vit-b16_semmim.pth'
bert_checkpoint = 'data/pretrained/bert-base-uncased_semmim.pth'
model = dict(
    vision_backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint=clip_checkpoint,
        prefix='vision_backbone.')),
    text_encoder=dict(init_cfg=dict(
        type='Pretrained', checkpoint=bert_checkpoint,
        prefix='text_encoder.')),
    fusion_encoder=dict(init_cfg=dict(
        type='Pretrained', checkpoint=bert_checkpoint,
        prefix='fusion_encoder.')),
    mlm_head=dict(init_cfg=dict(
        type='Pretrained', checkpoint=bert_checkpoint, prefix='mlm_head.')),
    plm_head=dict(decoder=dict(init_cfg=dict(
        type='Pretrained', checkpoint=bert_checkpoint,
        prefix='plm_head.decoder.'))),
)

default_hooks = dict(logger=dict(interval=50))
