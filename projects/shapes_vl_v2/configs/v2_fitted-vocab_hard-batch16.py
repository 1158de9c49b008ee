# v2_fitted-vocab.py with hard batches: each batch of 64 is made of
# 4 group(s) of 16 images whose captions name the same colours
# (semmim.datasets.HardBatchSampler), so colour cannot tell the images of
# a group apart and in-batch ITC (and its ITM negatives) must use shape
# and layout.
_base_ = './v2_fitted-vocab.py'

train_dataloader = dict(sampler=dict(
    _delete_=True, type='HardBatchSampler',
    key_fn='semmim.datasets.shapes_vl.world_v2.caption_colours',
    group_size=16))
