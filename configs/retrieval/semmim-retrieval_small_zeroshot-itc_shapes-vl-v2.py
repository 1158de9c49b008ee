# Zero-shot retrieval on the Shapes-VL v2 test split with the pre-trained
# ITC embeddings only (no fine-tuning, no ITM re-ranking).
#   python tools/test.py configs/retrieval/semmim-retrieval_small_zeroshot-itc_shapes-vl-v2.py CKPT
_base_ = ['./semmim-retrieval_small_zeroshot-itc_shapes-vl.py']

data_root = 'data/shapes_vl_v2/'
test_dataloader = dict(dataset=dict(data_root=data_root))
