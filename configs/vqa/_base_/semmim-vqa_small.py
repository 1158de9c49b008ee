# The CPU-sized VQA model (parts of configs/_base_/models/semmim_small.py).
_base_ = '../../_base_/models/semmim_small.py'

model = dict(
    _delete_=True,
    type='SemMIMVQA',
    data_preprocessor=dict(
        type='VLDataPreprocessor',
        tokenizer={{_base_.model.data_preprocessor.tokenizer}},
        # the pixel statistics the model was pre-trained with
        mean={{_base_.model.data_preprocessor.mean}},
        std={{_base_.model.data_preprocessor.std}},
        max_length=30,
        text_fields=dict(question='question', gt_answer='answer')),
    vision_backbone={{_base_.model.vision_backbone}},
    text_encoder={{_base_.model.text_encoder}},
    fusion_encoder={{_base_.model.fusion_encoder}},
    plm_head={{_base_.model.plm_head}},
    # docs/design.md#downstream-tasks: open-vocabulary generation, beam 5, at most 10 tokens
    inference='generate',
    num_beams=5,
    max_length=10,
    gen_kwargs=dict(early_stopping=True),
    share_image_encoding=True,
)
