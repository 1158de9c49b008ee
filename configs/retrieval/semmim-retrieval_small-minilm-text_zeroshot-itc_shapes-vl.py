# Zero-shot retrieval (ITC only) of the MiniLM-text variant of the demo:
#   python tools/test.py configs/retrieval/semmim-retrieval_small-minilm-text_zeroshot-itc_shapes-vl.py CHECKPOINT
_base_ = [
    './semmim-retrieval_small_zeroshot-itc_shapes-vl.py',
    '../_base_/models/minilm_text.py',
]

minilm = {{_base_.minilm}}
model = dict(
    vision_backbone=dict(text_dims=384),
    # the checkpoint holds the text weights
    text_encoder=dict(num_layers=2, bert_cfg=minilm),
    fusion_encoder=dict(num_layers=1, bert_cfg=minilm, vision_dims=192),
    itc_head=dict(text_dims=384),
    itm_head=dict(embed_dims=384),
)
