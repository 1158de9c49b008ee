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

# initialisation from local files (see README "Pretrained weights")
model = dict(
    vision_backbone=dict(init_cfg=dict(
        type='Pretrained',
        checkpoint='data/pretrained/clip_vit-b16_semmim.pth')),
    text_encoder=dict(init_cfg=dict(
        type='Pretrained',
        checkpoint='data/pretrained/bert-base-uncased_text_encoder.pth')),
    fusion_encoder=dict(init_cfg=dict(
        type='Pretrained',
        checkpoint='data/pretrained/bert-base-uncased_fusion_encoder.pth')),
    plm_head=dict(decoder=dict(init_cfg=dict(
        type='Pretrained',
        checkpoint='data/pretrained/bert-base-uncased_decoder.pth'))),
)

default_hooks = dict(logger=dict(interval=50))
