"""Visual question answering: the decoder answers from [image; fused
question] (docs/design.md#downstream-tasks)."""
import json
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.structures import DataSample

from semmim.registry import MODELS
from semmim.utils import resolve_path
from .base_vl_model import BaseVLModel

INFERENCE_MODES = ('generate', 'rank')


@MODELS.register_module()
class SemMIMVQA(BaseVLModel):
    """VQA with the pre-trained encoders and decoder (mPLUG style).

    The question goes through the text encoder and the fusion encoder
    (cross-attending to the image); the decoder cross-attends to
    ``[image tokens; fused question]`` - the prefix-LM path of pre-training
    with the question as the prefix - and produces the answer.

    Training (ALBEF/mPLUG): every distinct answer of a question is a target,
    weighted by ``count / #annotators`` (``gt_answer_weight``, count/10 in
    VQA v2); the loss is the weighted sum of the answers' sequence
    negative log-likelihoods divided by the number of questions.

    Inference, by ``inference``:

    * ``'generate'``: beam search (``num_beams``, ``max_length``);
    * ``'rank'``: ALBEF's answer-list ranking: the ``rank_k`` candidates
      of ``answer_list`` whose first token is most likely are scored by
      their full sequence log-likelihood; the best one is the answer.

    Module names match :class:`SemMIM`, so a pre-training checkpoint loads
    directly (its other heads and momentum copies are reported as
    unexpected keys).

    Batches come from :class:`VLDataPreprocessor` with
    ``text_fields=dict(question='question', gt_answer='answer')``: inputs
    ``question_ids``/``question_mask`` and, for training,
    ``answer_ids``/``answer_mask``/``answer_owner``.

    Args:
        vision_backbone, text_encoder, fusion_encoder (dict): Encoders.
        plm_head (dict): :class:`PrefixLMHead` (owns the decoder).
        inference (str): 'generate' or 'rank'. Defaults to 'generate'.
        num_beams (int): Beam size. Defaults to 5.
        max_length (int): Longest generated sequence in tokens, the [CLS]
            start token included (as transformers counts). Defaults to 10.
        gen_kwargs (dict): More arguments of transformers' ``generate``.
            Defaults to ``dict(early_stopping=True)``: a beam search ends
            once ``num_beams`` answers are complete (answers are short;
            otherwise every search runs to ``max_length``).
        answer_list (str | Sequence[str], optional): Candidate answers, or
            a JSON file with their list (read at the first ranking).
            Needed by ``'rank'``.
        rank_k (int): Candidates scored in full per question. Defaults to
            128 (ALBEF).
        rank_batch (int): Question-answer pairs decoded at once while
            ranking (bounds memory). Defaults to 256.
        share_image_encoding (bool): Encode each distinct image of a batch
            once (by the samples' ``img_path``): questions about the same
            image share its features. Pair it with
            :class:`~semmim.datasets.ImageGroupedSampler` in training. With
            per-sample augmentation the copies of an image differ; the
            first one is used. Defaults to True.
        data_preprocessor (dict): Defaults to :class:`VLDataPreprocessor`
            with the question and answer fields.
    """

    def __init__(self,
                 vision_backbone: dict,
                 text_encoder: dict,
                 fusion_encoder: dict,
                 plm_head: dict,
                 inference: str = 'generate',
                 num_beams: int = 5,
                 max_length: int = 10,
                 gen_kwargs: Optional[dict] = dict(early_stopping=True),
                 answer_list: Union[str, Sequence[str], None] = None,
                 rank_k: int = 128,
                 rank_batch: int = 256,
                 share_image_encoding: bool = True,
                 data_preprocessor: Optional[dict] = dict(
                     type='VLDataPreprocessor',
                     text_fields=dict(question='question',
                                      gt_answer='answer')),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if self.tokenizer is None:
            raise ValueError('SemMIMVQA needs a data preprocessor with a '
                             'tokenizer (VLDataPreprocessor)')
        if inference not in INFERENCE_MODES:
            raise ValueError(f'inference must be one of {INFERENCE_MODES}, '
                             f'got {inference!r}')
        if inference == 'rank' and answer_list is None:
            raise ValueError("inference='rank' needs an answer_list")
        if rank_k < 1 or num_beams < 1 or max_length < 2:
            raise ValueError('rank_k and num_beams must be >= 1 and '
                             'max_length >= 2')
        self.vision_backbone = MODELS.build(vision_backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.fusion_encoder = MODELS.build(fusion_encoder)
        self.plm_head = MODELS.build(
            plm_head, default_args=dict(tokenizer=self.tokenizer))
        # pre-training parts the encoder no longer uses: frozen, so DDP
        # does not wait for their gradients
        for name in ('mask_token', 'text_adapter'):
            part = getattr(self.vision_backbone, name, None)
            if part is not None:
                part.requires_grad_(False)
        self.inference = inference
        self.num_beams = num_beams
        self.max_length = max_length
        self.gen_kwargs = dict(gen_kwargs or {})
        self.rank_k = rank_k
        self.rank_batch = rank_batch
        self.share_image_encoding = share_image_encoding
        self._answer_list = answer_list
        self._answer_tokens = None

    # ------------------------------------------------------------------
    def forward(self, inputs: dict, data_samples: Optional[List] = None,
                mode: str = 'loss'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            context, context_mask = self.encode(inputs, data_samples)
            return dict(context=context, context_mask=context_mask)
        raise RuntimeError(f'SemMIMVQA has no mode {mode!r}')

    def encode(self, inputs: dict, data_samples: Optional[List] = None
               ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The decoder's context: ``[image tokens; fused question]``.

        Returns:
            tuple: context ``(B, 1 + N + Lq, C)`` and its mask
            ``(B, 1 + N + Lq)``.
        """
        _, images = self.views(inputs['images'])
        qids, qmask = inputs['question_ids'], inputs['question_mask']
        first, inverse = self.distinct_images(data_samples, images.shape[0])
        if first is None:
            image = self.vision_backbone(images)[0]
        else:
            image = self.vision_backbone(images[first])[0][inverse]
        image = self.fusion_encoder.adapt_image(image)
        question = self.text_encoder(qids, qmask)
        question = self.fusion_encoder(question, qmask, image)
        context = torch.cat([image, question], dim=1)
        context_mask = torch.cat([qmask.new_ones(image.shape[:2]), qmask],
                                 dim=1)
        return context, context_mask

    def distinct_images(self, data_samples: Optional[List], batch_size: int):
        """Indices of the first sample of each distinct image and, per
        sample, its image's position among them; ``(None, None)`` when
        sharing is off, impossible (no ``img_path``) or useless."""
        if not self.share_image_encoding or not data_samples:
            return None, None
        keys = [s.get('img_path') for s in data_samples]
        if len(keys) != batch_size or any(k is None for k in keys):
            return None, None
        position, first, inverse = {}, [], []
        for i, key in enumerate(keys):
            if key not in position:
                position[key] = len(first)
                first.append(i)
            inverse.append(position[key])
        if len(first) == batch_size:
            return None, None
        device = self.data_preprocessor.device
        return (torch.tensor(first, device=device),
                torch.tensor(inverse, device=device))

    # ------------------------------------------------------------------
    def loss(self, inputs: dict,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Weighted answer likelihood (ALBEF/mPLUG)."""
        if 'answer_ids' not in inputs:
            raise KeyError('SemMIMVQA.loss needs answers: the data samples '
                           "must carry 'gt_answer' and the preprocessor "
                           "must map it to 'answer'")
        context, context_mask = self.encode(inputs, data_samples)
        ids, mask = inputs['answer_ids'], inputs['answer_mask']
        B = context.shape[0]
        owner = inputs.get('answer_owner')
        if owner is None:  # one answer string per question
            owner = torch.arange(B, device=ids.device)
        weights = self.answer_weights(data_samples, ids.shape[0])
        # each question's context once: its answers index it
        nll, _ = self.plm_head.decoder.token_loss(
            ids, mask, context, context_mask,
            label_smoothing=self.plm_head.label_smoothing, reduction='sum',
            context_index=owner)
        loss = (weights.to(nll.device) * nll).sum() / B
        return dict(loss_vqa=loss * self.plm_head.loss_weight)

    @staticmethod
    def answer_weights(data_samples: List[DataSample],
                       num_answers: int) -> torch.Tensor:
        """``(T,)`` weights of the flattened answers (1 where absent)."""
        weights = []
        for s in data_samples:
            answers = s.get('gt_answer')
            n = 1 if isinstance(answers, str) else len(answers)
            w = s.get('gt_answer_weight')
            weights.extend([1.0] * n if w is None else list(w))
        if len(weights) != num_answers:
            raise ValueError(f'{len(weights)} answer weights for '
                             f'{num_answers} answers')
        return torch.tensor(weights, dtype=torch.float)

    # ------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, inputs: dict,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """Answer each question; sets ``pred_answer`` (and, when ranking,
        ``pred_answer_score``, the answer's log-likelihood)."""
        context, context_mask = self.encode(inputs, data_samples)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(context.shape[0])]
        if self.inference == 'rank':
            answers, scores = self.rank_answers(context, context_mask)
            for s, score in zip(data_samples, scores.tolist()):
                s.set_field(score, 'pred_answer_score')
        else:
            answers = self.generate_answers(context, context_mask)
        for s, answer in zip(data_samples, answers):
            s.set_field(answer, 'pred_answer')
        return data_samples

    @torch.no_grad()
    def generate_answers(self, context: torch.Tensor,
                         context_mask: torch.Tensor) -> List[str]:
        """Beam-search answers, as strings."""
        tok = self.tokenizer
        kwargs = dict(num_beams=self.num_beams, max_length=self.max_length,
                      min_new_tokens=1, do_sample=False)
        kwargs.update(self.gen_kwargs)
        ids = self.plm_head.decoder.generate(
            context, context_mask, bos_id=tok.cls_token_id,
            eos_id=tok.sep_token_id, pad_id=tok.pad_token_id, **kwargs)
        texts = tok.batch_decode(ids[:, 1:], skip_special_tokens=True)
        return [t.strip() for t in texts]

    @property
    def answer_list(self) -> List[str]:
        """The candidate answers (read from the JSON file on first use)."""
        if isinstance(self._answer_list, str):
            path = resolve_path(self._answer_list)
            with open(path, 'r', encoding='utf-8') as f:
                answers = json.load(f)
            if not isinstance(answers, list) or not answers or not all(
                    isinstance(a, str) for a in answers):
                raise ValueError(f'{path}: expected a non-empty JSON list '
                                 'of answer strings')
            self._answer_list = answers
        if self._answer_list is None:
            raise ValueError('this SemMIMVQA has no answer_list')
        return list(self._answer_list)

    def answer_tokens(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(A, L)`` ids ([CLS] answer [SEP]) and mask of the answer list,
        tokenised once per device."""
        device = self.data_preprocessor.device
        if self._answer_tokens is None or \
                self._answer_tokens[0].device != device:
            enc = self.data_preprocessor.tokenize(self.answer_list)
            self._answer_tokens = (enc['ids'], enc['mask'])
        return self._answer_tokens

    @torch.no_grad()
    def rank_answers(self, context: torch.Tensor, context_mask: torch.Tensor
                     ) -> Tuple[List[str], torch.Tensor]:
        """Best answer of the answer list per question (ALBEF).

        The first-token distribution (one decoder step from [CLS]) picks
        the ``rank_k`` most likely candidates; each is then scored by its
        full log-likelihood ``sum_t log p(a_t | a_<t, context)`` ([SEP]
        included), ``rank_batch`` pairs at a time.

        Returns:
            tuple: answers (list of B strings) and their log-likelihoods
            ``(B,)``.
        """
        ids, mask = self.answer_tokens()
        decoder = self.plm_head.decoder
        B, A = context.shape[0], ids.shape[0]
        k = min(self.rank_k, A)
        start = ids[:1, :1].expand(B, 1)
        logits = decoder(start, torch.ones_like(start), context,
                         context_mask)[:, 0].float()
        first = logits.log_softmax(-1)[:, ids[:, 1]]  # (B, A)
        top = first.topk(k, dim=1).indices  # (B, k)
        question = torch.arange(B, device=ids.device).repeat_interleave(k)
        answer = top.reshape(-1)
        nll = []
        for s in range(0, B * k, self.rank_batch):
            q, a = question[s:s + self.rank_batch], answer[s:s +
                                                           self.rank_batch]
            loss, _ = decoder.token_loss(ids[a], mask[a], context,
                                         context_mask, reduction='sum',
                                         context_index=q)
            nll.append(loss)
        scores = -torch.cat(nll).view(B, k)
        best_score, best = scores.max(dim=1)
        chosen = top.gather(1, best[:, None])[:, 0].tolist()
        answers = self.answer_list
        return [answers[i] for i in chosen], best_score
