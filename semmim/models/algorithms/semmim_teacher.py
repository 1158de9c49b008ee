"""The momentum teacher of a SemMIM step and what it hands the student."""
from typing import NamedTuple, Optional

import torch

from ..utils.merged_passes import merged_call

TEACHER_TEXT = ('online', 'momentum')
#: the patch-text similarity S_i text-guided masking samples from
MASK_FEATURES = ('itc', 'fusion')


class TeacherOutputs(NamedTuple):
    """Every momentum-model output of one step (no gradients).

    Attributes:
        image (Tensor): ``(B, 1 + N, C)`` E^_I's visual-only tokens of I2.
        image_feat (Tensor): ``(B, D)`` ITC momentum image feature.
        text (Tensor): ``(B, L, C')`` E^_T's caption tokens.
        text_feat (Tensor): ``(B, D)`` ITC momentum text feature.
        cls_logits (Tensor, optional): ``(B, K)`` H^_I of I1's [CLS], the
            L_cls target (with a ``cls_head``).
        cls_logits_2 (Tensor, optional): ``(B, K)`` H^_I of I2's [CLS],
            the swapped L_cls pair's target (``symmetric_cls``).
        patch_logits (Tensor, optional): ``(B, N, K)`` H^_I of I2's patches
            with the text injected, the L_patch target (a code-target
            ``mim_head``).
        mlm_logits (Tensor, optional): ``(M, V)`` MLM distillation logits
            at the masked positions (``mlm_distill``).
    """
    image: torch.Tensor
    image_feat: torch.Tensor
    text: torch.Tensor
    text_feat: torch.Tensor
    cls_logits: Optional[torch.Tensor] = None
    cls_logits_2: Optional[torch.Tensor] = None
    patch_logits: Optional[torch.Tensor] = None
    mlm_logits: Optional[torch.Tensor] = None


class MomentumTeacher:
    """The momentum half of SemMIM: E^_I and H^_I (``momentum_vision``) and
    the ITC / MLM towers (``momentum_towers``) of the model it is called
    with, run without gradients.

    The EMA copies stay the model's own modules (their checkpoint keys and
    the momentum hook do not change); this object holds the teacher's
    settings and computes its outputs.

    Args:
        text (str): Text injected into E^_I's last layers for the patch
            targets: the online text features, detached (as the paper
            draws it), or the momentum text encoder's. Defaults to
            'online'.
        symmetric_cls (bool): Also the swapped L_cls pair's target.
            Defaults to False.
        mlm_distill (bool): MLM distillation logits (ALBEF / mPLUG).
            Defaults to True.
        mask_similarity (str): The similarity S_i of text-guided masking,
            see :meth:`mask_similarity`. Defaults to 'itc'.
    """

    SETTINGS = ('text', 'symmetric_cls', 'mlm_distill', 'mask_similarity')

    def __init__(self, text: str = 'online', symmetric_cls: bool = False,
                 mlm_distill: bool = True, mask_similarity: str = 'itc'):
        if text not in TEACHER_TEXT:
            raise ValueError(f'teacher text must be one of {TEACHER_TEXT}, '
                             f'got {text!r}')
        if mask_similarity not in MASK_FEATURES:
            raise ValueError(f'teacher mask_similarity must be one of '
                             f'{MASK_FEATURES}, got {mask_similarity!r}')
        self.text = text
        self.symmetric_cls = symmetric_cls
        self.mlm_distill = mlm_distill
        self.mask_features = mask_similarity

    @torch.no_grad()
    def __call__(self, model, img1, img2, ids, tmask, text,
                 inject: bool,
                 masked_ids: Optional[torch.Tensor] = None,
                 mlm_labels: Optional[torch.Tensor] = None
                 ) -> TeacherOutputs:
        """Every momentum-model output of the step of ``model``.

        E^_I runs once on ``[I1; I2]`` for the layers both visual-only
        passes share; with text injection its last ``N`` layers run again on
        I2's trunk with the text. Text never reaches the [CLS] target. Given
        ``masked_ids`` and ``mlm_labels`` (and ``mlm_distill``), also the
        MLM distillation logits at the masked positions.
        """
        vis = model.momentum_vision.module
        towers = model.momentum_towers.module
        backbone = vis['backbone']
        n = backbone.num_text_layers if inject else 0
        B = img2.shape[0]
        use_view1 = model.cls_head is not None and img1 is not None
        pair = torch.cat([img1, img2]) if use_view1 else img2
        trunk = backbone.forward_trunk(pair, num_head_layers=n)
        visual = backbone.forward_head_layers(trunk, num_head_layers=n)
        v2 = visual[-B:]
        out = dict(image=v2)
        out['image_feat'] = model.itc_head.project_image(
            v2[:, 0], towers['vision_proj'])
        distill = self.mlm_distill and masked_ids is not None
        texts = [(ids, tmask)]
        if distill:
            texts.append((masked_ids, tmask))
        text_m, *text_mlm = merged_call(towers['text_encoder'], texts)
        out['text'] = text_m
        out['text_feat'] = model.itc_head.project_text(
            text_m[:, 0], towers['text_proj'])
        if text_mlm and mlm_labels is not None:
            fusion_m = towers['fusion_encoder']
            fused_m = fusion_m(text_mlm[0], tmask, fusion_m.adapt_image(v2))
            out['mlm_logits'] = towers['mlm_head'](
                fused_m[mlm_labels != -100])
        if use_view1:
            out['cls_logits'] = vis['head'](visual[:B, 0])
            if self.symmetric_cls:
                out['cls_logits_2'] = vis['head'](v2[:, 0])
        if getattr(model.mim_head, 'uses_codes', False):
            if n > 0:
                injected = text if self.text == 'online' else text_m
                v2 = backbone.forward_head_layers(
                    trunk[-B:], text=injected, text_mask=tmask,
                    num_head_layers=n)
            out['patch_logits'] = vis['head'](v2[:, 1:])
        return TeacherOutputs(**out)

    @torch.no_grad()
    def mask_similarity(self, model, image_m: torch.Tensor,
                        text_feat: torch.Tensor, text_m: torch.Tensor,
                        text_mask: torch.Tensor,
                        features: Optional[str] = None) -> torch.Tensor:
        """``(B, N)`` similarity S_i of each patch to the caption, which
        text-guided masking turns into sampling probabilities
        (docs/design.md, "Text-guided masking, measured").

        ``'itc'``: the cosine of the patch's momentum token through the
        momentum ITC image projection and the caption's ITC feature.
        ``'fusion'``: the momentum fusion encoder's own patch-text
        similarity, the last layer's cross-attention logit of the text
        [CLS] over each patch (mean over heads).

        Args:
            model (SemMIM): The model whose momentum copies to use.
            image_m (Tensor): ``(B, 1 + N, C)`` momentum image tokens.
            text_feat (Tensor): ``(B, D)`` the caption's ITC feature.
            text_m (Tensor): ``(B, L, C')`` momentum text tokens.
            text_mask (Tensor): ``(B, L)``.
            features (str, optional): Defaults to ``mask_features``.
        """
        features = features or self.mask_features
        towers = model.momentum_towers.module
        if features == 'itc':
            patch = model.itc_head.project_image(image_m[:, 1:],
                                                 towers['vision_proj'])
            return torch.einsum('bnd,bd->bn', patch.float(),
                                text_feat.float())
        if features == 'fusion':
            fusion = towers['fusion_encoder']
            scores = fusion.cross_attention_scores(
                text_m, text_mask, fusion.adapt_image(image_m))
            return scores[:, :, 0, 1:].mean(1).float()
        raise ValueError(f'mask features must be one of {MASK_FEATURES}, '
                         f'got {features!r}')
