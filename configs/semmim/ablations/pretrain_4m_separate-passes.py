# Not a paper ablation: the same model and step with each encoder called once
# per input instead of once on their concatenation (merge_passes=False). Same
# losses and gradients; 1.21x slower on a 2-core CPU (docs/benchmarks.md).
_base_ = '../pretrain_4m.py'
model = dict(merge_passes=False)
