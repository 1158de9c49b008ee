"""Batch preparation: image normalisation and text tokenisation."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from semmim.registry import MODELS, TOKENIZER

# CLIP's normalisation (RGB, 0-255 scale)
CLIP_MEAN = (122.770938, 116.7460125, 104.09373615)
CLIP_STD = (68.5005327, 66.6321579, 70.32316305)


@MODELS.register_module()
class VLDataPreprocessor(BaseDataPreprocessor):
    """Normalise images and tokenise texts of a vision-language batch.

    Input (from ``default_collate``): ``inputs`` is a uint8 tensor
    ``(B, 3, H, W)`` or a list of ``V`` such tensors (several views of each
    image), in BGR order as mmcv loads them; ``data_samples`` is a list of
    ``DataSample`` whose text fields hold a string or a list of strings.

    Output: ``dict(inputs=dict(images=..., <name>_ids=..., <name>_mask=...),
    data_samples=...)`` where ``images`` is a float tensor ``(B, 3, H, W)``
    or a list of them, and for every entry of ``text_fields`` the padded ids
    ``(T, L)`` and attention mask ``(T, L)`` (``L`` = longest in the batch, at
    most ``max_length``). When samples hold lists of texts (e.g. the 5
    captions of a test image) they are flattened, and ``<name>_owner``
    ``(T,)`` gives the index of the sample each text belongs to.

    Args:
        tokenizer (dict, optional): Tokenizer config (``TOKENIZER``
            registry). None disables tokenisation. Defaults to the local
            uncased BERT vocabulary.
        text_fields (dict): Map from data-sample field to output name.
            Defaults to ``dict(text='text')``.
        max_length (int): Longest token sequence, [CLS] and [SEP] included.
            Defaults to 30.
        mean (Sequence[float]): Per-channel mean, RGB order. CLIP's.
        std (Sequence[float]): Per-channel std, RGB order. CLIP's.
        to_rgb (bool): Convert BGR input to RGB. Defaults to True.
    """

    def __init__(self,
                 tokenizer: Optional[dict] = dict(type='LocalBertTokenizer'),
                 text_fields: Optional[Dict[str, str]] = None,
                 max_length: int = 30,
                 mean: Sequence[float] = CLIP_MEAN,
                 std: Sequence[float] = CLIP_STD,
                 to_rgb: bool = True):
        super().__init__()
        self.tokenizer = TOKENIZER.build(tokenizer) if tokenizer else None
        self.text_fields = dict(text='text') if text_fields is None \
            else dict(text_fields)
        self.max_length = max_length
        self.to_rgb = to_rgb
        self.register_buffer(
            'mean', torch.tensor(mean).view(-1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(-1, 1, 1), persistent=False)

    # ------------------------------------------------------------------
    def normalize(self, img: torch.Tensor) -> torch.Tensor:
        """uint8 BGR ``(B, 3, H, W)`` -> normalised float RGB."""
        img = img.to(self.device, non_blocking=True)
        if self.to_rgb:
            img = img.flip(1)
        return (img.float() - self.mean) / self.std

    @staticmethod
    def _check_images(inputs) -> None:
        ok = torch.is_tensor(inputs) and inputs.dim() == 4
        if isinstance(inputs, (list, tuple)):
            ok = all(torch.is_tensor(v) and v.dim() == 4 for v in inputs)
        if not ok:
            raise TypeError(
                'VLDataPreprocessor expects images batched by '
                'default_collate (a (B, 3, H, W) tensor or a list of them, '
                "one per view); set collate_fn=dict(type='default_collate') "
                'in the dataloader config')

    def tokenize(self, texts: List[str]) -> Dict[str, torch.Tensor]:
        """Tokenise a list of strings to padded ``ids`` and ``mask``."""
        if self.tokenizer is None:
            raise RuntimeError('this data preprocessor has no tokenizer')
        enc = self.tokenizer(
            list(texts),
            padding='longest',
            truncation=True,
            max_length=self.max_length,
            return_tensors='pt')
        return dict(
            ids=enc['input_ids'].to(self.device),
            mask=enc['attention_mask'].to(self.device))

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data.get('inputs')
        data_samples = data.get('data_samples')
        out: Dict[str, Union[torch.Tensor, List[torch.Tensor]]] = {}
        if inputs is not None:
            self._check_images(inputs)
            if torch.is_tensor(inputs):
                out['images'] = self.normalize(inputs)
            else:
                out['images'] = [self.normalize(v) for v in inputs]
        if data_samples is not None and self.tokenizer is not None:
            for field, name in self.text_fields.items():
                values = [s.get(field) for s in data_samples]
                if any(v is None for v in values):
                    continue
                if all(isinstance(v, str) for v in values):
                    enc = self.tokenize(values)
                else:
                    flat, owner = [], []
                    for i, v in enumerate(values):
                        v = [v] if isinstance(v, str) else list(v)
                        flat.extend(v)
                        owner.extend([i] * len(v))
                    enc = self.tokenize(flat)
                    out[f'{name}_owner'] = torch.tensor(
                        owner, device=self.device)
                out[f'{name}_ids'] = enc['ids']
                out[f'{name}_mask'] = enc['mask']
        return dict(inputs=out, data_samples=data_samples)
