"""Image captioning: the decoder on image tokens (CE and SCST fine-tuning,
beam-search generation)."""
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from semmim.registry import MODELS
from .base_vl_model import BaseVLModel

#: docs/design.md#downstream-tasks (COCO): beam 5, min length 8, max length 25.
DEFAULT_GENERATION = dict(
    num_beams=5, min_length=8, max_length=25, length_penalty=1.0,
    use_cache=True)
DEFAULT_SCST = dict(num_candidates=5, cider_ann_file=None, sigma=6.0)


@MODELS.register_module()
class SemMIMCaption(BaseVLModel):
    """Captioning with the pre-trained image encoder and decoder
    (docs/design.md#downstream-tasks).

    The decoder cross-attends to the image tokens only (mPLUG's captioner):
    ``context = adapt(E_I(image))``, where ``adapt`` is the fusion
    encoder's image adapter (identity when the widths match). Its input is
    ``[CLS] + prompt + caption + [SEP]``; the prompt (e.g. ``'a picture of'``,
    as BLIP) is given, not predicted, and stripped from the output.

    * Cross-entropy fine-tuning (``scst=False``): next-token loss on the
      caption tokens, with the head's ``label_smoothing``.
    * Self-critical sequence training (``scst=True``, Rennie et al. 2017,
      mPLUG's variant): beam search returns ``K`` candidates per image
      (decoder in eval mode, no gradient); each gets the CIDEr-D reward
      ``r_i`` against the image's references (document frequencies from the
      training captions, ``scst_cfg.cider_ann_file``); with the mean reward
      of the image's candidates as baseline, the loss is
      ``mean_i -(r_i - mean_j r_j) * log p(candidate_i)`` (sequence
      log-probability, recomputed with gradient). Needs samples with
      ``gt_caption`` (``CaptionDataset(group_by_image=True)``).
    * Prediction: beam search with ``generation_cfg``; data samples get
      ``pred_caption``.

    Module names match :class:`SemMIM` (``vision_backbone``,
    ``fusion_encoder``, ``plm_head``), so a pre-training checkpoint loads
    with ``load_from``; MMEngine logs the missing and unexpected keys. The
    fusion encoder is built without layers: only its image adapter is used
    (its layers in a checkpoint are reported as unexpected keys).

    Args:
        vision_backbone (dict): :class:`SemMIMVisionTransformer` config.
        plm_head (dict): :class:`PrefixLMHead` (owns the decoder and the
            label smoothing).
        fusion_encoder (dict, optional): :class:`BertFusionEncoder` config
            of pre-training, for its image adapter. Defaults to None.
        prompt (str): Text given to the decoder before the caption.
            Defaults to '' (none, as mPLUG).
        generation_cfg (dict): Beam search settings over
            :data:`DEFAULT_GENERATION`: ``num_beams``, ``min_length`` and
            ``max_length`` (counted in generated WordPiece tokens after the
            prompt, the final [SEP] included in ``max_length``),
            ``length_penalty`` (transformers' exponent on the length),
            ``use_cache`` (key-value cache), and any other argument of
            transformers' ``generate``.
        scst (bool): Train with SCST instead of cross-entropy. Defaults to
            False.
        scst_cfg (dict): ``num_candidates`` (beam candidates per image,
            default 5), ``cider_ann_file`` (training captions for the
            document frequencies; required for SCST), ``sigma`` (CIDEr-D
            length penalty, 6).
        data_preprocessor (dict): Defaults to :class:`VLDataPreprocessor`.
    """

    def __init__(self,
                 vision_backbone: dict,
                 plm_head: dict,
                 fusion_encoder: Optional[dict] = None,
                 prompt: str = '',
                 generation_cfg: Optional[dict] = None,
                 scst: bool = False,
                 scst_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = dict(
                     type='VLDataPreprocessor'),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        tokenizer = self.tokenizer
        if tokenizer is None:
            raise ValueError('SemMIMCaption needs a data preprocessor with a '
                             'tokenizer (VLDataPreprocessor)')
        self.vision_backbone = MODELS.build(vision_backbone)
        self.fusion_encoder = None
        if fusion_encoder is not None:
            self.fusion_encoder = MODELS.build(
                dict(fusion_encoder, num_layers=0))
        self.plm_head = MODELS.build(plm_head,
                                     default_args=dict(tokenizer=tokenizer))
        # pre-training-only parts of the image encoder: frozen, so that DDP
        # does not wait for their gradients
        for name in ('mask_token', 'text_adapter'):
            part = getattr(self.vision_backbone, name, None)
            if part is not None:
                part.requires_grad_(False)

        self.generation_cfg = dict(DEFAULT_GENERATION,
                                   **(generation_cfg or {}))
        for key in ('min_length', 'max_length', 'num_beams'):
            if int(self.generation_cfg[key]) < (0 if key == 'min_length'
                                                else 1):
                raise ValueError(f'generation_cfg.{key} is out of range: '
                                 f'{self.generation_cfg[key]}')
        if self.generation_cfg['min_length'] > \
                self.generation_cfg['max_length']:
            raise ValueError('generation_cfg: min_length > max_length')
        self.prompt = prompt
        prompt_ids = tokenizer(prompt, add_special_tokens=False)['input_ids'] \
            if prompt else []
        self.register_buffer(
            'prompt_ids', torch.tensor(prompt_ids, dtype=torch.long),
            persistent=False)
        self.scst = scst
        self.scst_cfg = dict(DEFAULT_SCST, **(scst_cfg or {}))
        if scst and not self.scst_cfg['cider_ann_file']:
            raise ValueError('scst=True needs scst_cfg.cider_ann_file (the '
                             'training captions, for CIDEr-D document '
                             'frequencies)')
        if self.scst_cfg['num_candidates'] < 2:
            raise ValueError('SCST needs num_candidates >= 2 (the baseline '
                             'is their mean reward)')
        self._cider = None  # built on first use (reads the training file)

    # ------------------------------------------------------------------
    @property
    def decoder(self):
        return self.plm_head.decoder

    def forward(self, inputs: dict, data_samples: Optional[List] = None,
                mode: str = 'loss'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.generate(self.encode_image(inputs['images']))
        raise RuntimeError(f'SemMIMCaption has no mode {mode!r}')

    def encode_image(self, images) -> torch.Tensor:
        """Image tokens in the decoder's width, ``(B, 1 + N, C)``."""
        _, images = self.views(images)
        image = self.vision_backbone(images)[0]
        if self.fusion_encoder is not None:
            image = self.fusion_encoder.adapt_image(image)
        return image

    # ------------------------------------------------------------------
    # decoder inputs
    # ------------------------------------------------------------------
    @property
    def num_given(self) -> int:
        """Tokens given to the decoder before the caption: [CLS] + prompt."""
        return 1 + self.prompt_ids.numel()

    def add_prompt(self, ids: torch.Tensor, mask: torch.Tensor
                   ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Insert the prompt after [CLS] of tokenised captions.

        Returns:
            tuple: ``ids``, attention ``mask`` and ``target_mask`` (the
            tokens to predict: caption and [SEP]), each ``(B, L + P)``.
        """
        if self.prompt_ids.numel():
            B, P = ids.shape[0], self.prompt_ids.numel()
            ids = torch.cat(
                [ids[:, :1], self.prompt_ids.expand(B, P), ids[:, 1:]], 1)
            mask = torch.cat([mask[:, :1], mask.new_ones(B, P), mask[:, 1:]],
                             1)
        target_mask = mask.clone()
        target_mask[:, :self.num_given] = 0
        return ids, mask, target_mask

    def generated_masks(self, seqs: torch.Tensor
                        ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attention and target masks of generated sequences: tokens up to
        the first [SEP] after the prompt (transformers pads after it)."""
        eos = self.tokenizer.sep_token_id
        is_eos = seqs == eos
        is_eos[:, :self.num_given] = False
        # tokens after the first [SEP] are padding
        after = (is_eos.long().cumsum(1) - is_eos.long()) > 0
        mask = (~after).long()
        target_mask = mask.clone()
        target_mask[:, :self.num_given] = 0
        return mask, target_mask

    def sequence_nll(self, ids: torch.Tensor, mask: torch.Tensor,
                     target_mask: torch.Tensor, context: torch.Tensor,
                     label_smoothing: float = 0.0):
        """Negative log-likelihood of the target tokens (teacher forcing).

        Position ``t`` predicts ``ids[:, t + 1]`` where
        ``target_mask[:, t + 1]``; the vocabulary projection runs only
        there.

        Args:
            ids, mask, target_mask (Tensor): ``(N, L)``.
            context (Tensor): ``(N, S, C)`` image tokens.
            label_smoothing (float): Defaults to 0.

        Returns:
            tuple: per-token losses ``(T,)``, the row of each token
            ``(T,)``, and token accuracy in percent.
        """
        hidden = self.decoder.hidden_states(ids, mask, context, None)
        valid = target_mask[:, 1:].bool()
        logits = self.decoder.lm.cls(hidden[:, :-1][valid]).float()
        target = ids[:, 1:][valid]
        loss = F.cross_entropy(logits, target,
                               label_smoothing=label_smoothing,
                               reduction='none')
        acc = (logits.argmax(-1) == target).float().mean() * 100
        return loss, valid.nonzero()[:, 0], acc.detach()

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def loss(self, inputs: dict,
             data_samples: List) -> Dict[str, torch.Tensor]:
        context = self.encode_image(inputs['images'])
        if self.scst:
            return self.scst_loss(context, data_samples)
        if 'text_ids' not in inputs:
            raise KeyError('cross-entropy training needs tokenised captions '
                           "('text' in the data samples)")
        ids, mask, target_mask = self.add_prompt(inputs['text_ids'],
                                                 inputs['text_mask'])
        loss, _, acc = self.sequence_nll(
            ids, mask, target_mask, context,
            label_smoothing=self.plm_head.label_smoothing)
        return dict(
            loss_caption=loss.mean() * self.plm_head.loss_weight,
            acc_caption=acc)

    @property
    def cider(self):
        """The CIDEr-D reward (document frequencies of the training set)."""
        if self._cider is None:
            from semmim.evaluation.metrics.cider import CiderD
            self._cider = CiderD.from_annotations(
                self.scst_cfg['cider_ann_file'],
                sigma=self.scst_cfg['sigma'])
        return self._cider

    def scst_rewards(self, candidates: List[str],
                     references: List[List[str]]) -> torch.Tensor:
        """CIDEr-D of ``B * K`` candidates (``K`` consecutive per image)
        against their image's references: ``(B, K)``."""
        K = len(candidates) // len(references)
        refs = [r for r in references for _ in range(K)]
        return torch.as_tensor(
            self.cider.compute_score(candidates, refs),
            dtype=torch.float32).view(len(references), K)

    @staticmethod
    def scst_objective(nll: torch.Tensor, rewards: torch.Tensor
                       ) -> torch.Tensor:
        """``mean -(r_i - mean_j r_j) * log p_i`` over all candidates.

        Args:
            nll (Tensor): ``(B * K,)`` ``-log p`` of each candidate.
            rewards (Tensor): ``(B, K)``.
        """
        advantage = rewards - rewards.mean(dim=1, keepdim=True)
        return (advantage.reshape(-1).to(nll) * nll).mean()

    def scst_loss(self, context: torch.Tensor,
                  data_samples: List) -> Dict[str, torch.Tensor]:
        refs = []
        for s in data_samples:
            r = s.get('gt_caption')
            if not r:
                raise KeyError('SCST needs the references of each image '
                               "('gt_caption'; CaptionDataset with "
                               'group_by_image=True)')
            refs.append([r] if isinstance(r, str) else list(r))
        K = self.scst_cfg['num_candidates']
        # candidates: deterministic beam search, no dropout, no gradient
        was_training = self.plm_head.training
        self.plm_head.eval()
        seqs = self.generate(
            context.detach(), num_return_sequences=K,
            num_beams=max(K, self.generation_cfg['num_beams']))
        self.plm_head.train(was_training)
        rewards = self.scst_rewards(self.decode(seqs), refs)
        mask, target_mask = self.generated_masks(seqs)
        token_nll, rows, _ = self.sequence_nll(
            seqs, mask, target_mask, context.repeat_interleave(K, dim=0))
        nll = token_nll.new_zeros(seqs.shape[0]).index_add(0, rows,
                                                           token_nll)
        loss = self.scst_objective(nll, rewards.to(nll.device))
        return dict(loss_scst=loss * self.plm_head.loss_weight,
                    reward_cider=rewards.mean().to(nll.device))

    # ------------------------------------------------------------------
    # generation
    # ------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, context: torch.Tensor, **overrides) -> torch.Tensor:
        """Beam search from ``[CLS] + prompt``.

        Args:
            context (Tensor): ``(B, S, C)`` image tokens.
            **overrides: Over ``generation_cfg`` (e.g.
                ``num_return_sequences``, ``use_cache``).

        Returns:
            Tensor: ``(B * num_return_sequences, L)`` ids, starting with
            [CLS] and the prompt; padded after [SEP].
        """
        cfg = copy.deepcopy(self.generation_cfg)
        cfg.update(overrides)
        min_length, max_length = cfg.pop('min_length'), cfg.pop('max_length')
        tok = self.tokenizer
        B = context.shape[0]
        start = torch.cat([
            self.prompt_ids.new_full((1, ), tok.cls_token_id),
            self.prompt_ids
        ]).expand(B, -1)
        return self.decoder.generate(
            context, None, tok.cls_token_id, tok.sep_token_id,
            tok.pad_token_id, prompt_ids=start,
            min_new_tokens=min_length, max_new_tokens=max_length, **cfg)

    def decode(self, seqs: torch.Tensor) -> List[str]:
        """Captions of generated ids, prompt and special tokens removed."""
        return [c.strip() for c in self.tokenizer.batch_decode(
            seqs[:, self.num_given:], skip_special_tokens=True)]

    @torch.no_grad()
    def predict(self, inputs: dict, data_samples: Optional[List] = None
                ) -> List:
        """One caption per image (the best beam) as ``pred_caption``."""
        from mmpretrain.structures import DataSample
        context = self.encode_image(inputs['images'])
        captions = self.decode(self.generate(context))
        if data_samples is None:
            data_samples = [DataSample() for _ in captions]
        for sample, caption in zip(data_samples, captions):
            sample.set_field(caption, 'pred_caption', field_type='data')
        return data_samples
