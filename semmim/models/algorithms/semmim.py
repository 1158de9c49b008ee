"""SemMIM pre-training (paper Section 3;
docs/design.md#one-pre-training-step)."""
from functools import partial
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from semmim.registry import MODELS
from ..utils.merged_passes import merged_call
from .base_vl_model import BaseVLModel
from .semmim_teacher import MomentumTeacher, TeacherOutputs



@MODELS.register_module()
class SemMIM(BaseVLModel):
    """Semantics-enhanced cross-modal masked image modelling.

    One step (docs/design.md#one-pre-training-step) on two views I1
    (teacher) and I2 (student):

    1. online text passes: the caption ``w = E_T(caption)``, the MLM-masked
       caption and the PLM prefix;
    2. momentum passes (no grad): ``E^_I`` on I1 and I2 visual-only (one
       batch), and the last layers of I2 again with the text: [CLS] target,
       patch features for masking, patch targets; momentum text features;
    3. text-guided masking of I2's patches;
    4. online passes on I2: clean ``v = E_I(I2)`` (ITC, ITM, MLM, PLM;
       student [CLS]) and masked, with the text injected in the last layers;
    5. the fusion encoder on the ITM pairs, the MLM text and the prefix;
    6. the six losses (L_cls, L_patch, ITC, ITM, MLM, PLM), weight 1 each.

    Each encoder runs once per step on the concatenation of its inputs
    (text encoder: caption, MLM text, PLM prefix; ViT: clean and masked I2
    up to the injected layers; fusion encoder: ITM pairs, MLM text, prefix;
    see :func:`merged_call`), and the fusion encoder computes its
    cross-attention keys and values once per image, not once per text row
    that attends to it. Both give the outputs and gradients of the plain
    computation (tests/models/algorithms/test_semmim.py holds that
    reference and compares).

    Ablations switch parts off by config: ``mim_head=None`` (w/o MIM), a
    pixel or dVAE ``mim_head`` (other MIM targets; L_cls stays), the mask
    generator's ``masking``/``mask_ratio``, and the backbone's
    ``text_inject_start``.

    Args:
        vision_backbone (dict): :class:`SemMIMVisionTransformer` config.
        text_encoder (dict): :class:`BertTextEncoder` config.
        fusion_encoder (dict): :class:`BertFusionEncoder` config.
        itc_head, itm_head, mlm_head, plm_head (dict): Objective heads.
        encoding_head (dict, optional): :class:`EncodingHead` (H_I); needed
            by ``cls_head`` and a code-target ``mim_head``.
        cls_head (dict, optional): :class:`CLSDistillHead` (L_cls).
        mim_head (dict, optional): :class:`PatchDistillHead` (L_patch, ours),
            a pixel or dVAE MIM head, or None (no MIM).
        mask_generator (dict): :class:`TextGuidedMaskGenerator`.
        teacher (dict): The momentum teacher (:class:`MomentumTeacher`):
            ``momentum`` (:class:`MomentumEMA` settings of E^_I / H^_I,
            default DINO's cosine 0.996 -> 1), ``towers_momentum`` (of the
            ITC / MLM towers E^_T, E^_F, projections and MLM head; default
            ``momentum``'s, so ITC's momentum image and text features follow
            one schedule), ``text`` ('online' or 'momentum': the text
            injected for the patch targets), ``symmetric_cls`` (the swapped
            L_cls pair, one more online pass), ``mlm_distill`` (ALBEF's MLM
            distillation) and ``mask_similarity`` ('itc' or 'fusion': S_i
            of text-guided masking). See docs/design.md.
        itm_gather (bool): Draw ITM negatives from all ranks. Defaults True.
        data_preprocessor (dict): Defaults to :class:`VLDataPreprocessor`.
    """

    def __init__(self,
                 vision_backbone: dict,
                 text_encoder: dict,
                 fusion_encoder: dict,
                 itc_head: dict,
                 itm_head: dict,
                 mlm_head: dict,
                 plm_head: dict,
                 encoding_head: Optional[dict] = None,
                 cls_head: Optional[dict] = None,
                 mim_head: Optional[dict] = None,
                 mask_generator: Optional[dict] = dict(
                     type='TextGuidedMaskGenerator'),
                 teacher: dict = dict(),
                 itm_gather: bool = True,
                 data_preprocessor: Optional[dict] = dict(
                     type='VLDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        tokenizer = self.tokenizer
        if tokenizer is None:
            raise ValueError('SemMIM needs a data preprocessor with a '
                             'tokenizer (VLDataPreprocessor)')

        self.vision_backbone = MODELS.build(vision_backbone)
        self.text_encoder = MODELS.build(text_encoder)
        vocab_size = self.text_encoder.word_embeddings.num_embeddings
        if len(tokenizer) > vocab_size:
            raise ValueError(
                f'SemMIM: the tokenizer has {len(tokenizer)} tokens but '
                f'text_encoder.bert_cfg.vocab_size is {vocab_size}; set '
                'the towers\' vocab_size to the tokenizer\'s length')
        self.fusion_encoder = MODELS.build(fusion_encoder)
        self.itc_head = MODELS.build(itc_head)
        self.itm_head = MODELS.build(itm_head)
        self.mlm_head = MODELS.build(mlm_head,
                                     default_args=dict(tokenizer=tokenizer))
        self.plm_head = MODELS.build(plm_head,
                                     default_args=dict(tokenizer=tokenizer))
        self.mlm_head.tie_weights(self.text_encoder.word_embeddings)

        self.encoding_head = MODELS.build(encoding_head) \
            if encoding_head else None
        self.cls_head = MODELS.build(cls_head) if cls_head else None
        self.mim_head = MODELS.build(mim_head) if mim_head else None
        self.mask_generator = MODELS.build(mask_generator) \
            if (mim_head and mask_generator) else None
        needs_codes = self.cls_head is not None or getattr(
            self.mim_head, 'uses_codes', False)
        if needs_codes and self.encoding_head is None:
            raise ValueError('cls_head and a code-target mim_head need an '
                             'encoding_head')
        if self.mim_head is not None and self.mask_generator is None:
            raise ValueError('a mim_head needs a mask_generator')
        self.itm_gather = itm_gather
        # the momentum half of the model: its settings and outputs
        teacher = dict(teacher)
        momentum_vision = teacher.pop('momentum', dict(
            momentum=0.996, end_momentum=1.0, schedule='cosine'))
        momentum_towers = teacher.pop('towers_momentum', None)
        unknown = set(teacher) - set(MomentumTeacher.SETTINGS)
        if unknown:
            raise ValueError(f'SemMIM teacher: unknown settings '
                             f'{sorted(unknown)}; expected momentum, '
                             f'towers_momentum, {MomentumTeacher.SETTINGS}')
        self.teacher = MomentumTeacher(**teacher)

        # momentum copies: E^_I (+ H^_I) with DINO's schedule, and the ITC /
        # MLM towers, by default on the same one. Frozen copies, updated by
        # MomentumUpdateHook after each optimizer step.
        self.add_momentum('momentum_vision', self._online_vision,
                          **momentum_vision)
        if momentum_towers is None:
            momentum_towers = momentum_vision
        self.add_momentum('momentum_towers', self._online_towers,
                          **momentum_towers)

    # ------------------------------------------------------------------
    # momentum machinery
    # ------------------------------------------------------------------
    def _online_vision(self) -> nn.ModuleDict:
        parts = dict(backbone=self.vision_backbone)
        if self.encoding_head is not None:
            parts['head'] = self.encoding_head
        return nn.ModuleDict(parts)

    def _online_towers(self) -> nn.ModuleDict:
        return nn.ModuleDict(
            dict(
                text_encoder=self.text_encoder,
                fusion_encoder=self.fusion_encoder,
                vision_proj=self.itc_head.vision_proj,
                text_proj=self.itc_head.text_proj,
                mlm_head=self.mlm_head))

    # ------------------------------------------------------------------
    def forward(self, inputs: dict, data_samples: Optional[List] = None,
                mode: str = 'loss'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise RuntimeError(f'SemMIM has no mode {mode!r}; use the '
                           'retrieval / caption / VQA models to predict')

    @torch.no_grad()
    def extract_feat(self, inputs: dict) -> dict:
        """ITC embeddings of images and/or texts (for zero-shot use)."""
        out = {}
        if 'images' in inputs:
            images = inputs['images']
            images = images[-1] if isinstance(images, list) else images
            out['image_feat'] = self.itc_head.project_image(
                self.vision_backbone(images)[0][:, 0])
        if 'text_ids' in inputs:
            text = self.text_encoder(inputs['text_ids'], inputs['text_mask'])
            out['text_feat'] = self.itc_head.project_text(text[:, 0])
        return out

    # ------------------------------------------------------------------
    # one training step
    # ------------------------------------------------------------------
    def loss(self, inputs: dict, data_samples=None) -> Dict[str, torch.Tensor]:
        img1, img2 = self.views(inputs['images'])
        ids, tmask = inputs['text_ids'], inputs['text_mask']
        inject = self.mim_head is not None and \
            self.vision_backbone.text_inject_start is not None
        masked_ids, mlm_labels = self.mlm_head.mask(ids)
        prefix_ids, prefix_mask, target_ids, target_mask, _ = \
            self.plm_head.split(ids, tmask)

        # 1. online text passes: caption (ITC, ITM, injection), MLM-masked
        # caption, PLM prefix
        text, text_mlm, prefix = merged_call(
            self.text_encoder, [(ids, tmask), (masked_ids, tmask),
                                (prefix_ids, prefix_mask)])
        text_feat = self.itc_head.project_text(text[:, 0])

        # 2. momentum passes (frozen copies)
        self.itc_head.clamp_temperature()
        m = self.teacher(self, img1, img2, ids, tmask, text.detach(),
                         inject, masked_ids=masked_ids,
                         mlm_labels=mlm_labels)

        # 3. text-guided masking; the clean and the masked, text-injected
        # online image passes
        mask = None
        if self.mim_head is not None:
            if self.mask_generator.masking == 'text_guided':
                sim = self.teacher.mask_similarity(
                    self, m.image, text_feat.detach(), m.text, tmask)
            else:  # random: only the shape is used
                sim = text_feat.new_zeros(m.image[:, 1:].shape[:2])
            mask = self.mask_generator(similarity=sim)
        image, masked = self.encode_image(img2, mask,
                                          text if inject else None, tmask)
        image_feat = self.itc_head.project_image(image[:, 0])

        # 4. the six objectives
        losses = {}
        if self.mim_head is not None:
            losses.update(self.mim_loss(masked[:, 1:][mask], mask, img2, m))
        if self.cls_head is not None:
            losses.update(self.cls_loss(image, img1, m))
        losses.update(
            self.itc_head.loss(image_feat, text_feat, m.image_feat,
                               m.text_feat))
        # image tokens in the text width for the fusion encoder / decoder;
        # one fusion pass over the ITM pairs, the MLM text and the prefix
        image_ctx = self.fusion_encoder.adapt_image(image)
        itm_text, itm_mask, images, itm_rows, itm_labels = \
            self.itm_pair_rows(image_ctx, text, tmask, image_feat, text_feat)
        own = itm_rows[:img2.shape[0]]  # this rank's images in ``images``
        fused_itm, fused_mlm, fused_prefix = merged_call(
            partial(self.fuse_rows, images),
            [(itm_text, itm_mask, itm_rows), (text_mlm, tmask, own),
             (prefix, prefix_mask, own)])
        losses.update(self.itm_head.loss(
            self.itm_head(fused_itm[:, 0]), itm_labels))
        losses.update(self.mlm_head.loss(fused_mlm, mlm_labels,
                                         m.mlm_logits))
        context = torch.cat([image_ctx, fused_prefix], dim=1)
        context_mask = torch.cat(
            [tmask.new_ones(image_ctx.shape[:2]), prefix_mask], dim=1)
        losses.update(self.plm_head.loss(target_ids, target_mask, context,
                                         context_mask))
        return losses

    def fuse_rows(self, images: torch.Tensor, text: torch.Tensor,
                  text_mask: torch.Tensor,
                  rows: torch.Tensor) -> torch.Tensor:
        """The fusion encoder on ``text`` with row ``b`` seeing
        ``images[rows[b]]`` (keys and values once per image)."""
        return self.fusion_encoder(text, text_mask, images, image_index=rows)

    def encode_image(self, img2: torch.Tensor, mask: Optional[torch.Tensor],
                     text: Optional[torch.Tensor],
                     text_mask: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The online clean pass on ``img2`` and, given a ``mask``, the
        masked pass (with ``text`` injected in the last layers, if given).

        Both run the layers before the injection as one batch
        ``[I2; masked I2]``; the last layers then run once without and once
        with the text.

        Returns:
            tuple: ``(clean, masked)`` tokens ``(B, 1 + N, C)``; ``masked`` is
            None without a mask.
        """
        backbone = self.vision_backbone
        if mask is None:
            return backbone(img2)[0], None
        n = backbone.num_text_layers if text is not None else 0
        B = img2.shape[0]
        trunk = backbone.forward_trunk(
            torch.cat([img2, img2]), torch.cat([torch.zeros_like(mask), mask]),
            num_head_layers=n)
        clean = backbone.forward_head_layers(trunk[:B], num_head_layers=n)
        masked = backbone.forward_head_layers(
            trunk[B:], text=text, text_mask=text_mask, num_head_layers=n)
        return clean, masked

    def mim_loss(self, masked_tokens: torch.Tensor, mask: torch.Tensor,
                 img2: torch.Tensor, m: TeacherOutputs) -> dict:
        """L_patch (codes of the momentum encoder) or another MIM target."""
        if getattr(self.mim_head, 'uses_codes', False):
            return self.mim_head.loss(
                self.encoding_head(masked_tokens), m.patch_logits, mask)
        return self.mim_head.loss(masked_tokens, mask, img2)

    def cls_loss(self, image: torch.Tensor, img1: torch.Tensor,
                 m: TeacherOutputs) -> dict:
        """L_cls: the student's [CLS] of I2 against the teacher's of I1
        (and the swapped pair with ``symmetric_cls``)."""
        loss = self.cls_head.loss(
            self.encoding_head(image[:, 0]), m.cls_logits)
        if self.teacher.symmetric_cls:
            image1 = self.vision_backbone(img1)[0]
            swapped = self.cls_head.loss(
                self.encoding_head(image1[:, 0]), m.cls_logits_2)
            loss = {k: (loss[k] + swapped[k]) / 2 for k in loss}
        return loss
