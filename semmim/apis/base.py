"""What the semmim inferencers share: a model by name or config (and a
checkpoint), the test pipeline without file loading, batching under a
progress bar, and pictures of the results."""
import os
import os.path as osp
import warnings
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, \
    Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.model import BaseModel

from semmim.engine.config_checks import check_model_type
from semmim.utils.checkpoint_io import load_weights

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
        return sorted(
            osp.join(source, f) for f in os.listdir(source)
            if f.lower().endswith(IMAGE_EXTENSIONS))
    if isinstance(source, (str, np.ndarray)):
        return [source]
    return list(source)


def build_model(config: Union[str, Config], checkpoint: Optional[str] = None,
                device: Union[str, torch.device] = 'cpu'):
    """Build ``config.model`` and load ``checkpoint``.

    The checkpoint is read weights-only (no code in it runs) and matched
    (``semmim.utils.checkpoint_io.match_state_dict``): weights of parts the
    task does not use (a pre-training checkpoint's other heads) are
    ignored, buffers of another size (a queue) keep their initial values,
    and loading fails when under ``checkpoint_match.min_share`` (90%) of
    the model's parameters are found with the right shape. Without a
    checkpoint the model keeps its initial weights (tests).
    """
    import semmim  # noqa: F401  (compat fixes)

    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    check_model_type(cfg)  # one line naming the config
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        model.init_weights()
    else:
        report = load_weights(model, checkpoint, cfg)  # weights only
        if report.missing or report.mismatched_buffers:
            warnings.warn(report.summary(checkpoint))
    model._config = cfg
    return model.to(device).eval()


class BaseVLInferencer:
    """Run a semmim model on images and texts given in memory or as files.

    mmpretrain's inferencer contract: the model is a name from
    :func:`semmim.apis.list_models`, a config file, a config, or a model
    built by :func:`semmim.apis.get_model`; inputs go through the config's
    test pipeline (without its loading step, since images are read here;
    text-cleaning steps run only on the fields given). Many inputs run in
    batches under a progress bar (on stderr); ``show_dir`` saves a picture
    of each result (mmpretrain's ``UniversalVisualizer``). Subclasses
    implement ``__call__`` and return plain lists of dicts, or the
    models' data samples with ``return_datasamples=True``.

    Args:
        model (str | Config | BaseModel): The model.
        pretrained (str | bool, optional): A checkpoint to load (see
            :func:`semmim.apis.get_model`). Defaults to None.
        device (str | torch.device, optional): Defaults to CUDA when
            available, else the CPU.
        **kwargs: Overrides of the config's ``model`` settings.
    """

    #: The model-index task of the models this inferencer runs.
    task: Optional[str] = None

    def __init__(self,
                 model: Union[str, Config, BaseModel],
                 pretrained: Union[str, bool, None] = None,
                 device: Union[str, torch.device, None] = None,
                 **kwargs):
        from .model import get_model
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        if isinstance(model, torch.nn.Module):
            if pretrained not in (None, False):
                raise ValueError(
                    f'{type(model).__name__}: give a model name or config '
                    'with pretrained=..., or load the weights first')
            if getattr(model, '_config', None) is None:
                raise ValueError(f'{type(model).__name__}: a model without '
                                 'its config; build it with get_model()')
            model = model.to(device).eval()
        else:
            model = get_model(model, pretrained, device, **kwargs)
        self.model = model
        self.cfg = model._config
        self.visualizer = None

    @classmethod
    def list_models(cls, pattern: Optional[str] = None) -> List[str]:
        """The names of the models this inferencer runs."""
        from .model import list_models
        return list_models(pattern=pattern, task=cls.task)

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

    @staticmethod
    def track(chunks: Iterable[list], total: int, description: str):
        """``chunks`` (lists of ``total`` items in all) under a progress
        bar on stderr, shown when there is more than one chunk."""
        from tqdm import tqdm
        chunks = list(chunks)
        with tqdm(total=total, desc=description, unit='item',
                  disable=len(chunks) < 2, leave=False) as bar:
            for chunk in chunks:
                yield chunk
                bar.update(len(chunk))

    def draw(self, method: str, show_dir: Optional[str], show: bool,
             name: str, *args, **kwargs) -> Optional[np.ndarray]:
        """One picture of a result with mmpretrain's ``UniversalVisualizer``
        (``method``, e.g. ``'visualize_vqa'``), saved as
        ``show_dir/name.png`` and/or shown in a window."""
        if show_dir is None and not show:
            return None
        if self.visualizer is None:
            from mmpretrain.visualization import UniversalVisualizer
            self.visualizer = UniversalVisualizer()
        out_file = None
        if show_dir is not None:
            os.makedirs(show_dir, exist_ok=True)
            out_file = osp.join(show_dir, f'{name}.png')
        getattr(self.visualizer, method)(
            *args, show=show, name=name, out_file=out_file, **kwargs)
        return self.visualizer.get_image()

    @staticmethod
    def image_name(image: ImageType, index: int) -> str:
        """A file's stem, else the input's position."""
        if isinstance(image, str):
            return osp.splitext(osp.basename(image))[0]
        return str(index)

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
