"""Image-text retrieval: ITC + ITM fine-tuning, two-stage evaluation."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine import dist

from semmim.registry import MODELS
from ..utils.distributed import all_reduce_sum
from ..utils.merged_passes import pad_tokens
from .base_vl_model import BaseVLModel


@MODELS.register_module()
class SemMIMRetrieval(BaseVLModel):
    """Retrieval with the pre-trained encoders
    (docs/design.md#downstream-tasks).

    Fine-tuning: ITC with image-id-aware targets (every caption of the same
    image is a positive, in the batch and in the queue) and momentum
    distillation, plus ITM with hard negatives (ALBEF).

    Evaluation, two-stage (:meth:`predict_all`): ITC similarity of all
    image-text pairs, then for each query its ``topk`` best candidates are
    re-ranked by the ITM matched-logit. Candidates outside the top k keep
    their ITC order below the re-ranked ones, so the ranking is always
    complete (R@10 is defined even when ``topk < 10``). ``topk=0`` is
    ITC-only (zero-shot) retrieval. Each rank scores a share of the queries;
    the score matrices equal the single-process ones.

    Module names match :class:`SemMIM`, so a pre-training checkpoint loads
    directly (its extra heads are reported as unexpected keys).

    Args:
        vision_backbone, text_encoder, fusion_encoder (dict): Encoders.
        itc_head (dict): :class:`ITCHead` (set ``use_image_ids=True`` to
            fine-tune).
        itm_head (dict, optional): :class:`ITMHead`; None for ITC only.
        momentum (dict): :class:`MomentumEMA` settings. Defaults to 0.995.
        topk (int): Candidates re-ranked per query. Defaults to 256.
        rerank_batch (int): Image-text pairs fused at once. Defaults to 128.
        itm_gather (bool): ITM negatives from all ranks. Defaults to True.
        data_preprocessor (dict): Defaults to :class:`VLDataPreprocessor`.
    """

    def __init__(self,
                 vision_backbone: dict,
                 text_encoder: dict,
                 fusion_encoder: dict,
                 itc_head: dict,
                 itm_head: Optional[dict] = None,
                 momentum: dict = dict(momentum=0.995),
                 topk: int = 256,
                 rerank_batch: int = 128,
                 itm_gather: bool = True,
                 data_preprocessor: Optional[dict] = dict(
                     type='VLDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.vision_backbone = MODELS.build(vision_backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.fusion_encoder = MODELS.build(fusion_encoder)
        self.itc_head = MODELS.build(itc_head)
        self.itm_head = MODELS.build(itm_head) if itm_head else None
        # the [MASK] token of pre-training is not used here; freezing it
        # keeps DDP from waiting for its gradient
        if hasattr(self.vision_backbone, 'mask_token'):
            self.vision_backbone.mask_token.requires_grad_(False)
        if topk < 0:
            raise ValueError(f'topk must be >= 0, got {topk}')
        self.topk = topk
        self.rerank_batch = rerank_batch
        self.itm_gather = itm_gather
        self.add_momentum(
            'momentum_vision',
            lambda: nn.ModuleDict(dict(backbone=self.vision_backbone)),
            **momentum)
        self.add_momentum(
            'momentum_towers', lambda: nn.ModuleDict(
                dict(
                    text_encoder=self.text_encoder,
                    vision_proj=self.itc_head.vision_proj,
                    text_proj=self.itc_head.text_proj)), **momentum)

    def forward(self, inputs: dict, data_samples: Optional[List] = None,
                mode: str = 'loss'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs, data_samples)
        raise RuntimeError(f'SemMIMRetrieval has no mode {mode!r}: '
                           'evaluate with TwoStageRetrievalTestLoop')

    # ------------------------------------------------------------------
    def loss(self, inputs: dict,
             data_samples: List) -> Dict[str, torch.Tensor]:
        _, images = self.views(inputs['images'])
        ids, tmask = inputs['text_ids'], inputs['text_mask']
        idx = torch.tensor([int(s.image_id) for s in data_samples],
                           device=ids.device)
        image = self.vision_backbone(images)[0]
        text = self.text_encoder(ids, tmask)
        image_feat = self.itc_head.project_image(image[:, 0])
        text_feat = self.itc_head.project_text(text[:, 0])
        self.itc_head.clamp_temperature()
        with torch.no_grad():
            towers = self.momentum_towers.module
            image_m = self.momentum_vision.module['backbone'](images)[0]
            text_m = towers['text_encoder'](ids, tmask)
            image_feat_m = self.itc_head.project_image(
                image_m[:, 0], towers['vision_proj'])
            text_feat_m = self.itc_head.project_text(
                text_m[:, 0], towers['text_proj'])
        losses = self.itc_head.loss(image_feat, text_feat, image_feat_m,
                                    text_feat_m, idx=idx)
        if self.itm_head is not None:
            losses.update(
                self.itm_loss(self.fusion_encoder.adapt_image(image), text,
                              tmask, image_feat, text_feat, idx=idx))
        return losses

    # ------------------------------------------------------------------
    # evaluation
    # ------------------------------------------------------------------
    @torch.no_grad()
    def extract_feat(self, inputs: dict,
                     data_samples: Optional[List] = None) -> dict:
        """Features of a batch of images and their captions.

        Returns a dict with, for images, ``image_feat`` ``(B, D)``,
        ``image_embeds`` ``(B, 1 + N, C)`` (only with ITM re-ranking) and
        ``image_idx`` ``(B,)``; for texts, ``text_feat`` ``(T, D)``,
        ``text_embeds`` ``(T, Lmax, C)`` and ``text_mask`` (with ITM) and
        ``text_idx`` ``(T,)``. Indices come from the data samples
        (dataset order), so features gathered from several ranks can be put
        back in order.
        """
        out = {}
        rerank = self.topk > 0 and self.itm_head is not None
        if 'images' in inputs:
            _, images = self.views(inputs['images'])
            image = self.vision_backbone(images)[0]
            out['image_feat'] = self.itc_head.project_image(image[:, 0])
            if rerank:
                out['image_embeds'] = self.fusion_encoder.adapt_image(image)
            if data_samples is not None:
                out['image_idx'] = torch.tensor(
                    [int(s.image_idx) for s in data_samples])
        if 'text_ids' in inputs:
            ids, tmask = inputs['text_ids'], inputs['text_mask']
            text = self.text_encoder(ids, tmask)
            out['text_feat'] = self.itc_head.project_text(text[:, 0])
            if rerank:
                length = self.data_preprocessor.max_length
                out['text_embeds'] = pad_tokens(text, length)
                out['text_mask'] = pad_tokens(tmask, length)
            if data_samples is not None:
                out['text_idx'] = torch.tensor([
                    int(i) for s in data_samples for i in (
                        s.text_idx if isinstance(s.text_idx, (list, tuple))
                        else [s.text_idx])
                ])
        return out

    @torch.no_grad()
    def itm_scores(self, image_embeds: torch.Tensor,
                   text_embeds: torch.Tensor,
                   text_mask: torch.Tensor,
                   image_index: Optional[torch.Tensor] = None
                   ) -> torch.Tensor:
        """Matched-logit of paired rows, ``rerank_batch`` pairs at a time.

        Pair ``b`` is ``(image_embeds[b], text_embeds[b])``, or with
        ``image_index`` ``(image_embeds[image_index[b]], text_embeds[b])``:
        then each image a batch uses has its cross-attention keys and
        values computed once (the image-to-text re-rank pairs one image
        with its ``k`` candidate texts).
        """
        scores = []
        for s in range(0, text_embeds.shape[0], self.rerank_batch):
            e = s + self.rerank_batch
            if image_index is None:
                fused = self.fusion_encoder(text_embeds[s:e], text_mask[s:e],
                                            image_embeds[s:e])
            else:
                fused = self.fusion_encoder(text_embeds[s:e], text_mask[s:e],
                                            image_embeds,
                                            image_index=image_index[s:e])
            scores.append(self.itm_head(fused[:, 0])[:, 1].float())
        return torch.cat(scores)

    @torch.no_grad()
    def predict_all(self, feats: Dict[str, torch.Tensor]
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Score matrices ``(I, T)`` image-to-text and ``(T, I)``
        text-to-image from the features of the whole test set (ordered)."""
        sims = feats['image_feat'] @ feats['text_feat'].t()
        if self.topk == 0 or self.itm_head is None:
            return sims, sims.t().contiguous()
        image_embeds = feats['image_embeds']
        text_embeds, text_mask = feats['text_embeds'], feats['text_mask']
        device = image_embeds.device

        def rerank(sim, fuse):
            # rank r scores rows r, r + W, ...; the sum over ranks (zeros
            # elsewhere) then equals the single-process matrix
            out = torch.zeros_like(sim)
            k = min(self.topk, sim.shape[1])
            rows = torch.arange(dist.get_rank(), sim.shape[0],
                                dist.get_world_size(), device=device)
            per_block = max(1, self.rerank_batch // k)
            for s in range(0, len(rows), per_block):
                r = rows[s:s + per_block]
                top = sim[r].topk(k, dim=1).indices
                scores = fuse(r[:, None].expand_as(top).reshape(-1),
                              top.reshape(-1)).view(len(r), k)
                # non-candidates keep their ITC order, just below the
                # lowest candidate (a small shift keeps float precision)
                block = sim[r]
                shift = scores.min(1, keepdim=True).values - \
                    block.max(1, keepdim=True).values - 1
                out[r] = (block + shift).scatter(1, top, scores)
            return all_reduce_sum(out)

        score_i2t = rerank(
            sims, lambda q, c: self.itm_scores(
                image_embeds, text_embeds[c], text_mask[c], image_index=q))
        score_t2i = rerank(
            sims.t().contiguous(),
            lambda q, c: self.itm_scores(image_embeds, text_embeds[q],
                                         text_mask[q], image_index=c))
        return score_i2t, score_t2i
