# The captioner built from the pre-training parts (same module names, so a
# pre-training checkpoint loads into it): the ViT and the 12-layer decoder
# on its image tokens. The leaf configs fine-tune at 384 px
# (model.vision_backbone.img_size); the 224 px position embeddings of a
# pre-training checkpoint are interpolated bicubically (14x14 -> 24x24) by
# mmpretrain's ViT when it loads.
_base_ = '../../_base_/models/semmim_vit-b16_bert-base.py'

model = dict(
    _delete_=True,
    type='SemMIMCaption',
    data_preprocessor={{_base_.model.data_preprocessor}},
    vision_backbone={{_base_.model.vision_backbone}},
    fusion_encoder={{_base_.model.fusion_encoder}},
    plm_head={{_base_.model.plm_head}},
    prompt='',
    # docs/design.md#downstream-tasks (COCO): beam 5, min length 8, max length 25 (generated
    # WordPiece tokens), transformers' length penalty exponent
    generation_cfg=dict(
        num_beams=5, min_length=8, max_length=25, length_penalty=1.0,
        use_cache=True),
)
