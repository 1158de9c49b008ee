"""Parameter groups: per-part learning rates and no-decay parameters."""
from typing import Dict, Sequence

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch.nn.modules.batchnorm import _BatchNorm

from semmim.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, \
    OPTIMIZERS

NORMS = (nn.LayerNorm, nn.GroupNorm, _BatchNorm)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class VLOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """AdamW groups as the paper trains: the ViT at a tenth of the learning
    rate, no weight decay on biases, norms and named embeddings.

    MMEngine's ``custom_keys`` stop at the first matching key, so a ViT
    bias would get either the ViT learning rate or the no-decay rule, not
    both; and they make one group per parameter, which defeats fused and
    multi-tensor optimizers. This constructor combines the two rules and
    merges parameters into one group per (lr, decay) pair.

    ``paramwise_cfg``:
        lr_mult (dict[str, float]): Name prefix -> learning-rate multiplier.
        no_decay_keys (Sequence[str]): Substrings of parameter names that
            get no weight decay (e.g. ``pos_embed``, ``mask_token``).
        bias_decay (bool): Decay biases. Defaults to False.
        norm_decay (bool): Decay norm parameters. Defaults to False.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        cfg = dict(self.paramwise_cfg or {})
        lr_mult: Dict[str, float] = dict(cfg.pop('lr_mult', {}))
        no_decay_keys: Sequence[str] = tuple(cfg.pop('no_decay_keys', ()))
        bias_decay = cfg.pop('bias_decay', False)
        norm_decay = cfg.pop('norm_decay', False)
        if cfg:
            raise ValueError(f'unknown paramwise_cfg keys {sorted(cfg)}')

        norm_params = set()
        for module in model.modules():
            if isinstance(module, NORMS):
                norm_params.update(id(p) for p in module.parameters(False))

        groups: Dict[tuple, list] = {}
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            mult = 1.0
            for prefix in sorted(lr_mult, key=len, reverse=True):
                if name.startswith(prefix):
                    mult = lr_mult[prefix]
                    break
            decay = not (
                (not bias_decay and name.endswith('bias'))
                or (not norm_decay and id(param) in norm_params)
                or any(k in name for k in no_decay_keys))
            groups.setdefault((mult, decay), []).append(param)

        optimizer_cfg = dict(self.optimizer_cfg)
        param_groups = []
        for (mult, decay), params in sorted(groups.items(),
                                            key=lambda kv: kv[0]):
            group = dict(params=params, lr=self.base_lr * mult)
            if self.base_wd is not None:
                group['weight_decay'] = self.base_wd if decay else 0.0
            param_groups.append(group)
        optimizer_cfg['params'] = param_groups
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            wrapper_cfg, default_args=dict(optimizer=optimizer))
