# Flickr30K retrieval (1K test) in ALBEF's JSON files; layout in
# docs/data_layout_pretrain_retrieval.md.
# Same pipelines and loaders as COCO; only the files differ.
_base_ = './coco_retrieval.py'

train_dataloader = dict(dataset=dict(
    ann_file='annotations/retrieval/flickr30k_train.json',
    data_prefix='flickr30k/'))
val_dataloader = dict(dataset=dict(
    ann_file='annotations/retrieval/flickr30k_val.json',
    data_prefix='flickr30k/'))
test_dataloader = dict(dataset=dict(
    ann_file='annotations/retrieval/flickr30k_test.json',
    data_prefix='flickr30k/'))
