# The SemMIM model family scaled to a 2-core CPU: a 384-d, 6-layer ViT on
# 64 px images with 8 px patches (64 patches), a MiniLM-shaped text encoder
# (6 layers, 384-d: bert-base-uncased vocabulary), 2 fusion layers, a
# 2-layer decoder and K = 256 codes. Everything else as the full model.
_base_ = './semmim_vit-b16_bert-base.py'

bert_small = dict(
    hidden_size=384, num_attention_heads=12, intermediate_size=1536)

model = dict(
    vision_backbone=dict(
        arch=dict(
            _delete_=True, embed_dims=384, num_layers=6, num_heads=6,
            feedforward_channels=1536),
        img_size=64,
        patch_size=8,
        text_inject_start=6),
    text_encoder=dict(num_layers=6, bert_cfg=bert_small),
    fusion_encoder=dict(num_layers=2, bert_cfg=bert_small),
    encoding_head=dict(
        in_dims=384, hidden_dims=768, bottleneck_dims=128, num_codes=256),
    cls_head=dict(num_codes=256),
    mim_head=dict(num_codes=256),
    itc_head=dict(embed_dims=384, proj_dims=128, queue_size=1024),
    itm_head=dict(embed_dims=384),
    mlm_head=dict(bert_cfg=bert_small),
    plm_head=dict(decoder=dict(num_layers=2, bert_cfg=bert_small)),
)
