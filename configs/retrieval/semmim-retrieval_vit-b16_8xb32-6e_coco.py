# COCO 5K retrieval: fine-tune a pre-training checkpoint with ITC (image-id
# aware, momentum queue) + ITM, evaluate two-stage (ITC, then ITM re-ranking
# of the top 256).
#   bash tools/dist_train.sh configs/retrieval/semmim-retrieval_vit-b16_8xb32-6e_coco.py 8 \
#       --cfg-options load_from=work_dirs/pretrain_4m/epoch_20.pth
#   bash tools/dist_test.sh configs/retrieval/semmim-retrieval_vit-b16_8xb32-6e_coco.py CKPT 8
_base_ = [
    '../_base_/models/semmim-retrieval_vit-b16_bert-base.py',
    '../_base_/datasets/coco_retrieval.py',
    '../_base_/schedules/retrieval_finetune.py',
    '../_base_/default_runtime.py',
]
model = dict(
    vision_backbone=dict(img_size=384),  # 224 -> 384: pos_embed resized
    itc_head=dict(use_image_ids=True),
    topk=256)
