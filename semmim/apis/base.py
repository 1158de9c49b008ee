"""What the semmim inferencers share: a model from a config and a
checkpoint, the test pipeline without file loading, and batching."""
import os.path as osp
import warnings
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, \
    Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate

ImageType = Union[str, np.ndarray, 'PIL.Image.Image']  # noqa: F821

LOADING_TRANSFORMS = ('LoadImageOrSkip', 'LoadImageFromFile')
TEXT_TRANSFORMS = ('PreCaption', 'CleanCaption')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')


def load_image(image: ImageType) -> np.ndarray:
    """A path, an ``np.ndarray`` (BGR, as mmcv loads) or a PIL image ->
    a ``(H, W, 3)`` uint8 BGR array, decoded as the test pipelines do."""
    import mmcv
    if isinstance(image, str):
        if not osp.isfile(image):
            raise FileNotFoundError(f'{image}: image file not found')
        img = mmcv.imread(image, channel_order='bgr', backend='pillow')
    elif isinstance(image, np.ndarray):
        img = image
    elif hasattr(image, 'convert'):  # PIL
        img = np.asarray(image.convert('RGB'))[..., ::-1]
    else:
        raise TypeError(f'cannot read an image from {type(image).__name__}')
    if img is None or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError('expected a colour image (H, W, 3)')
    return np.ascontiguousarray(img)


def list_images(source: Union[str, Sequence[ImageType]]) -> list:
    """A directory (its image files, sorted) or a list of images."""
    if isinstance(source, str) and osp.isdir(source):
        import os
        return sorted(
            osp.join(source, f) for f in os.listdir(source)
            if f.lower().endswith(IMAGE_EXTENSIONS))
    if isinstance(source, (str, np.ndarray)):
        return [source]
    return list(source)


def build_model(config: Union[str, Config], checkpoint: Optional[str] = None,
                device: Union[str, torch.device] = 'cpu'):
    """Build ``config.model`` and load ``checkpoint``.

    Loading is not strict: weights of parts the task does not use (a
    pre-training checkpoint's other heads) are ignored; weights the model
    needs but the checkpoint lacks are named in a warning. Without a
    checkpoint the model keeps its initial weights (tests).
    """
    import semmim  # noqa: F401  (compat fixes)

    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        model.init_weights()
    else:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'{checkpoint}: checkpoint not found')
        # MMEngine checkpoints also hold optimizer and message-hub state:
        # not a weights-only file
        state = torch.load(checkpoint, map_location='cpu',
                           weights_only=False)
        state = state.get('state_dict', state)
        state = {k[len('module.'):] if k.startswith('module.') else k: v
                 for k, v in state.items()}
        missing = model.load_state_dict(state, strict=False).missing_keys
        if missing:
            warnings.warn(f'{checkpoint}: {len(missing)} weights of the '
                          f'model are not in the checkpoint and keep their '
                          f'initial values ({", ".join(missing[:5])}...)')
    model._config = cfg
    return model.to(device).eval()


class BaseVLInferencer:
    """Run a semmim model on images and texts given in memory or as files.

    The model comes from a config and a checkpoint; inputs go through the
    config's test pipeline (without its loading step, since images are
    read here; text-cleaning steps run only on the fields given).
    Subclasses implement ``__call__`` and return plain lists of dicts.

    Args:
        config (str | Config): Config file (or object) of the model.
        checkpoint (str, optional): Weights to load.
        device (str): Defaults to 'cpu'.
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: Optional[str] = None,
                 device: Union[str, torch.device] = 'cpu'):
        self.model = build_model(config, checkpoint, device)
        self.cfg = self.model._config

    def build_pipeline(self, text_keys: Iterable[str] = ()) -> Callable:
        """The test pipeline for samples with an ``img`` array and the
        text fields ``text_keys``."""
        from semmim.registry import TRANSFORMS
        loader = self.cfg.get('test_dataloader') or {}
        steps = loader.get('dataset', {}).get('pipeline')
        if steps is None:
            raise ValueError('the config has no test_dataloader pipeline')
        text_keys = set(text_keys)
        transforms = []
        for step in steps:
            kind = step['type']
            if kind in LOADING_TRANSFORMS:
                continue
            if kind in TEXT_TRANSFORMS:
                keys = step.get('keys', 'text')
                keys = [keys] if isinstance(keys, str) else list(keys)
                if not set(keys) <= text_keys:
                    continue
            transforms.append(TRANSFORMS.build(step))
        return Compose(transforms)

    @staticmethod
    def sample(image: ImageType, **fields) -> dict:
        img = load_image(image)
        sample = dict(img=img, img_shape=img.shape[:2],
                      ori_shape=img.shape[:2], **fields)
        if isinstance(image, str):
            sample['img_path'] = image
        return sample

    @staticmethod
    def batches(items: Sequence, batch_size: int) -> Iterator[list]:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        for start in range(0, len(items), batch_size):
            yield list(items[start:start + batch_size])

    def predict(self, samples: List[dict], pipeline: Callable) -> list:
        """``model.test_step`` on the processed samples."""
        data = default_collate([pipeline(s) for s in samples])
        with torch.no_grad():
            return self.model.test_step(data)

    def extract(self, data: dict) -> dict:
        """The model's ``extract_feat`` on a collated batch (images in
        ``inputs`` and/or texts in the data samples)."""
        with torch.no_grad():
            data = self.model.data_preprocessor(data, False)
            return self.model.extract_feat(data['inputs'])
