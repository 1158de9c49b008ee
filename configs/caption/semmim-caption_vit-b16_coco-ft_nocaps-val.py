# NoCaps validation (zero-shot transfer of the COCO captioner): one caption
# per image, scores overall and for the in-, near- and out-of-domain
# images (nocaps/<domain>/<metric>).
#   python tools/test.py configs/caption/semmim-caption_vit-b16_coco-ft_nocaps-val.py \
#       work_dirs/semmim-caption_vit-b16_8xb32-scst-5e_coco/epoch_5.pth
_base_ = [
    './_base_/semmim-caption_vit-b16_bert-base.py',
    '../_base_/datasets/nocaps.py',
    '../_base_/default_runtime.py',
]

model = dict(vision_backbone=dict(img_size=384))
