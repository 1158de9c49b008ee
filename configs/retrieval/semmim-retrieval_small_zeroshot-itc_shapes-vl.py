# Zero-shot retrieval on the Shapes-VL test split with the pre-trained ITC
# embeddings only (no fine-tuning, no ITM re-ranking): the demo's check.
#   python tools/test.py configs/retrieval/semmim-retrieval_small_zeroshot-itc_shapes-vl.py CKPT
_base_ = [
    '../_base_/models/semmim-retrieval_small.py',
    '../_base_/datasets/shapes_vl_retrieval.py',
    '../_base_/default_runtime.py',
]

# no queue: nothing is trained, and the pre-training checkpoint (the demo's
# has none) then loads shape for shape, also strictly (semmim.apis)
model = dict(topk=0, itc_head=dict(queue_size=0))
train_dataloader = None
val_dataloader = None
val_evaluator = None
val_cfg = None
