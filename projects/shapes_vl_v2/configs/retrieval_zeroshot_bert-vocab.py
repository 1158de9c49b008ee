# Zero-shot ITC retrieval on Shapes-VL v2 for v2_bert-vocab.py (run 1 of
# docs/shapes_vl_v2.md): bert-base-uncased's vocabulary.
_base_ = ('../../../configs/retrieval/'
          'semmim-retrieval_small_zeroshot-itc_shapes-vl.py')

data_root = 'data/shapes_vl_v2/'
test_dataloader = dict(dataset=dict(data_root=data_root))
