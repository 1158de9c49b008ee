# Zero-shot ITC retrieval on Shapes-VL v2 for checkpoints pre-trained with
# the fitted vocabulary: the same as
# configs/retrieval/semmim-retrieval_small_zeroshot-itc_shapes-vl-v2.py
# (kept so the commands of docs/shapes_vl_v2.md run as written).
_base_ = ('../../../configs/retrieval/'
          'semmim-retrieval_small_zeroshot-itc_shapes-vl-v2.py')
