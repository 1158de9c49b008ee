# The SemMIM model family scaled to a 2-core CPU (the Shapes-VL demo):
# a 192-d, 4-layer ViT on 64 px images with 8 px patches (64 patches), a
# 192-d, 2-layer text encoder over the bert-base-uncased vocabulary, 1 fusion
# layer, a 1-layer decoder, K = 256 codes, no dropout and no MLM
# distillation (each costs CPU time the demo does not have). Everything
# else (losses, masking, injection in the last layer, momentum schedules) is
# the full model's.
_base_ = './semmim_vit-b16_bert-base.py'

bert_small = dict(
    hidden_size=192,
    num_attention_heads=3,
    intermediate_size=768,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0)

model = dict(
    # Trained from scratch, so normalise with Shapes-VL's own pixel
    # statistics (CLIP's are for CLIP-initialised encoders). With CLIP's,
    # the pale backgrounds share one large offset and a random ViT sees
    # every image alike ([CLS] cosine 0.98 across images, patches 0.81);
    # with these, 0.74 and 0.12, and contrastive and self-distillation
    # targets differ between images from the first step.
    data_preprocessor=dict(
        mean=(210.7, 205.5, 195.7), std=(32.6, 36.0, 42.0)),
    vision_backbone=dict(
        arch=dict(
            _delete_=True, embed_dims=192, num_layers=4, num_heads=3,
            feedforward_channels=768),
        img_size=64,
        patch_size=8,
        text_inject_start=4),
    text_encoder=dict(num_layers=2, bert_cfg=bert_small),
    fusion_encoder=dict(num_layers=1, bert_cfg=bert_small),
    encoding_head=dict(
        in_dims=192, hidden_dims=384, bottleneck_dims=96, num_codes=256),
    cls_head=dict(num_codes=256),
    mim_head=dict(num_codes=256),
    itc_head=dict(embed_dims=192, proj_dims=128, queue_size=1024),
    itm_head=dict(embed_dims=192),
    mlm_head=dict(bert_cfg=bert_small),
    plm_head=dict(decoder=dict(num_layers=1, bert_cfg=bert_small)),
    teacher=dict(mlm_distill=False),
)
