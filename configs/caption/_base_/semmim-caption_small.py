# The CPU-sized captioner (parts of configs/_base_/models/semmim_small.py).
_base_ = '../../_base_/models/semmim_small.py'

model = dict(
    _delete_=True,
    type='SemMIMCaption',
    data_preprocessor={{_base_.model.data_preprocessor}},
    vision_backbone={{_base_.model.vision_backbone}},
    fusion_encoder={{_base_.model.fusion_encoder}},
    plm_head={{_base_.model.plm_head}},
    prompt='',
    generation_cfg=dict(
        num_beams=5, min_length=8, max_length=25, length_penalty=1.0,
        use_cache=True),
)
