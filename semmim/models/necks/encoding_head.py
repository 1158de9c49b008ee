"""The encoding head H_I: DINO-style projection to K soft codes."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch.nn.utils.parametrizations import weight_norm

from semmim.registry import MODELS


@MODELS.register_module()
class EncodingHead(BaseModule):
    """MLP -> L2 normalisation -> weight-normed ``Linear(bottleneck, K)``.

    Maps visual tokens ([CLS] and patches alike: they share one encoding
    space, which is how the [CLS] agreement shapes the patch codes) to
    ``K`` logits; a softmax with a temperature gives the categorical code
    distribution.

    Weight norm uses ``torch.nn.utils.parametrizations.weight_norm``; the
    old ``torch.nn.utils.weight_norm`` hook breaks ``deepcopy``, which the
    momentum copy needs. As in DINO (``norm_last_layer=True``) the norm
    ``g`` is fixed to 1, which keeps training stable.

    Args:
        in_dims (int): Token width. Defaults to 768.
        hidden_dims (int): MLP width. Defaults to 1536.
        bottleneck_dims (int): Width before the last layer. Defaults to 256.
        num_codes (int): K. Defaults to 1024.
        num_layers (int): MLP layers (>= 1). Defaults to 3.
        norm_last_layer (bool): Freeze ``g`` at 1. Defaults to True.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_dims: int = 768,
                 hidden_dims: int = 1536,
                 bottleneck_dims: int = 256,
                 num_codes: int = 1024,
                 num_layers: int = 3,
                 norm_last_layer: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        dims = [in_dims] + [hidden_dims] * (num_layers - 1) + \
            [bottleneck_dims]
        layers = []
        for i in range(num_layers):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < num_layers - 1:
                layers.append(nn.GELU())
        self.mlp = nn.Sequential(*layers)
        self.last_layer = weight_norm(
            nn.Linear(bottleneck_dims, num_codes, bias=False))
        self.norm_last_layer = norm_last_layer
        self.num_codes = num_codes
        self._reset_last_layer_norm()

    def _reset_last_layer_norm(self):
        g = self.last_layer.parametrizations.weight.original0
        with torch.no_grad():
            g.fill_(1.0)
        g.requires_grad = not self.norm_last_layer

    def init_weights(self):
        super().init_weights()
        if self.init_cfg is not None:
            return
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        v = self.last_layer.parametrizations.weight.original1
        trunc_normal_(v, std=0.02)
        self._reset_last_layer_norm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens ``(..., C)`` -> code logits ``(..., K)``."""
        x = F.normalize(self.mlp(x), dim=-1, eps=1e-6)
        return self.last_layer(x)
