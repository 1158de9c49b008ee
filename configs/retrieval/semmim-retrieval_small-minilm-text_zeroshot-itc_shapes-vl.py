# Zero-shot retrieval (ITC only) of the MiniLM-text variant of the demo:
#   python tools/test.py configs/retrieval/semmim-retrieval_small-minilm-text_zeroshot-itc_shapes-vl.py CHECKPOINT
_base_ = ['./semmim-retrieval_small_zeroshot-itc_shapes-vl.py']

minilm = dict(
    hidden_size=384,
    num_attention_heads=12,
    intermediate_size=1536,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0)
model = dict(
    vision_backbone=dict(text_dims=384),
    # the checkpoint holds the text weights
    text_encoder=dict(num_layers=2, bert_cfg=minilm),
    fusion_encoder=dict(num_layers=1, bert_cfg=minilm, vision_dims=192),
    itc_head=dict(text_dims=384),
    itm_head=dict(embed_dims=384),
)
