# Not a paper ablation: the same model and step with the fusion encoder's
# cross-attention keys and values computed once per text row (each image
# repeated for its ITM pairs, MLM text and prefix) instead of once per image
# (image_kv_once=False). Same losses and gradients (docs/benchmarks.md).
_base_ = '../pretrain_4m.py'
model = dict(image_kv_once=False)
