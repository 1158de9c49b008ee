# Table 4 "dVAE": masked patches predict DALL-E tokens (BEiT / VL-BEiT).
# Needs the DALL-E encoder weights in mmpretrain's format, e.g. the
# `dalle_encoder.pth` listed in mmpretrain's BEiT/CAE configs, at the path
# below. Only the MIM target changes; L_cls stays (docs/design.md,
# "Like-for-like ablations").
_base_ = '../pretrain_4m.py'
model = dict(
    mim_head=dict(
        _delete_=True,
        type='DVAEMIMHead',
        embed_dims=768,
        tokenizer=dict(
            type='DALL-E',
            init_cfg=dict(type='Pretrained',
                          checkpoint='data/pretrained/dalle_encoder.pth'))))
