# The full-size VQA model (parts of configs/_base_/models/
# semmim_vit-b16_bert-base.py), at the paper's fine-tuning resolution of
# 384 px: loading a 224 px checkpoint interpolates the ViT position
# embedding 14x14 -> 24x24 (bicubic, [CLS] kept; mmpretrain's ViT does it
# when the state dict is loaded).
_base_ = '../../_base_/models/semmim_vit-b16_bert-base.py'

model = dict(
    _delete_=True,
    type='SemMIMVQA',
    data_preprocessor=dict(
        type='VLDataPreprocessor',
        tokenizer={{_base_.model.data_preprocessor.tokenizer}},
        # question + object labels + OCR tokens
        max_length=40,
        text_fields=dict(question='question', gt_answer='answer')),
    vision_backbone=dict(
        type='SemMIMVisionTransformer',
        arch='base',
        img_size=384,
        patch_size=16,
        text_inject_start=12,
        drop_path_rate=0.0,
        with_cp=True),
    text_encoder={{_base_.model.text_encoder}},
    fusion_encoder={{_base_.model.fusion_encoder}},
    plm_head={{_base_.model.plm_head}},
    # docs/design.md#downstream-tasks: open-vocabulary generation, beam 5, at most 10 tokens
    inference='generate',
    num_beams=5,
    max_length=10,
    gen_kwargs=dict(early_stopping=True),
    # ALBEF's ranking over its 3,128-answer list, for inference='rank'
    answer_list='data/vqa/annotations/answer_list.json',
    rank_k=128,
    share_image_encoding=True,
)
