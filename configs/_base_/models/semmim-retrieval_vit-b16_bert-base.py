# Retrieval model built from the pre-training parts (same module names, so a
# pre-training checkpoint loads into it).
_base_ = './semmim_vit-b16_bert-base.py'

model = dict(
    _delete_=True,
    type='SemMIMRetrieval',
    data_preprocessor={{_base_.model.data_preprocessor}},
    vision_backbone={{_base_.model.vision_backbone}},
    text_encoder={{_base_.model.text_encoder}},
    fusion_encoder={{_base_.model.fusion_encoder}},
    itc_head={{_base_.model.itc_head}},
    itm_head={{_base_.model.itm_head}},
    momentum=dict(momentum=0.995),
    topk=256,
)
