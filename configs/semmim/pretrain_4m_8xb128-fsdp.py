# The 4M pre-training with parameters, gradients and optimizer state
# sharded across GPUs (PyTorch FSDP through MMEngine's FlexibleRunner):
#   bash tools/dist_train.sh configs/semmim/pretrain_4m_8xb128-fsdp.py 8
# Use it when a model variant does not fit with DDP (e.g. ViT-L/14 or
# 384 px); for the ViT-B/16 base model DDP (pretrain_4m.py) is faster.
# GPU only: MMEngine's FSDPStrategy places each rank on cuda:LOCAL_RANK.
#
# Every transformer layer is its own FSDP unit (size-based policy); the
# online encoders and their momentum (EMA) copies have the same structure,
# so each unit's shard of the online weights lines up with the shard of its
# momentum copy and the EMA update stays a per-rank elementwise lerp
# (use_orig_params=True keeps the original parameter views for it, for the
# optimizer's parameter groups and for lr multipliers by name).
_base_ = './pretrain_4m.py'

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=int(5e6)),
        use_orig_params=True),
    state_dict_cfg='full')
