# v2_fitted-vocab.py at batch 32: the same 7168 samples and FLOPs (24.5
# TFLOP at most), in 224 steps instead of 112.
_base_ = './v2_fitted-vocab.py'

train_dataloader = dict(batch_size=32)
