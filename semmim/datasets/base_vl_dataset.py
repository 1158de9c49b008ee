"""Common ground of the vision-language datasets: annotation checks and
bad-sample handling."""
import json
import os.path as osp
from typing import Any, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from .bad_samples import ON_BAD_SAMPLE_CHOICES, BadSampleError


class BaseVLDataset(BaseDataset):
    """Base of semmim's image-text datasets.

    Subclasses implement :meth:`parse_entry` for one annotation entry; this
    class reads the annotation files (one or several, concatenated), reports
    malformed entries as one-line errors naming the file, the entry and the
    field, and handles samples whose image or caption turns out to be bad.

    Args:
        ann_file (str | Sequence[str]): Annotation file(s), relative to
            ``data_root`` unless absolute.
        data_root (str): Root of the data. Defaults to ''.
        data_prefix (str | dict): Prefix of image paths, relative to
            ``data_root``. Defaults to ''.
        pipeline (Sequence): Transforms. Defaults to ().
        test_mode (bool): Evaluation mode. Defaults to False.
        on_bad_sample (str): ``'skip'`` warns, counts and draws another
            sample; ``'error'`` raises. Test mode always raises, since an
            evaluation must not silently drop samples. Defaults to 'skip'.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 ann_file: Union[str, Sequence[str]],
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 on_bad_sample: str = 'skip',
                 **kwargs):
        if on_bad_sample not in ON_BAD_SAMPLE_CHOICES:
            raise ValueError(f'on_bad_sample must be one of '
                             f'{ON_BAD_SAMPLE_CHOICES}, got {on_bad_sample!r}')
        self.on_bad_sample = on_bad_sample
        self._skipped_since_last = 0
        self.num_bad_samples = 0
        ann_files = [ann_file] if isinstance(ann_file, str) else list(ann_file)
        self.ann_files = [
            f if (osp.isabs(f) or not data_root) else osp.join(data_root, f)
            for f in ann_files
        ]
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        super().__init__(
            ann_file='',
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    # ------------------------------------------------------------------
    # annotations
    # ------------------------------------------------------------------
    @staticmethod
    def read_json(path: str) -> Any:
        """Read a JSON file; a missing or malformed file is one clear line."""
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: annotation file not found')
        with open(path, 'r', encoding='utf-8') as f:
            try:
                return json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}: not valid JSON ({e})') from None

    def load_data_list(self) -> List[dict]:
        data_list = []
        for ann_file in self.ann_files:
            entries = self.read_json(ann_file)
            entries = self.entries_of(entries, ann_file)
            for idx, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    raise ValueError(f'{ann_file}: entry {idx}: expected an '
                                     f'object, got {type(entry).__name__}')
                info = self.parse_entry(entry, ann_file, idx)
                if info is None:
                    continue
                info.setdefault('ann_file', ann_file)
                info.setdefault('ann_index', idx)
                data_list.append(info)
        return data_list

    def entries_of(self, content: Any, ann_file: str) -> list:
        """The list of entries in an annotation file's content."""
        if not isinstance(content, list):
            raise ValueError(f'{ann_file}: expected a JSON list of entries, '
                             f'got {type(content).__name__}')
        return content

    def parse_entry(self, entry: dict, ann_file: str,
                    idx: int) -> Optional[dict]:
        """Turn one annotation entry into a data info dict."""
        raise NotImplementedError

    # helpers for parse_entry -------------------------------------------
    @staticmethod
    def require(entry: dict, field: str, types, ann_file: str, idx: int):
        """Return ``entry[field]`` or raise naming file, entry and field."""
        if field not in entry:
            raise ValueError(f'{ann_file}: entry {idx}: missing field '
                             f'{field!r}')
        value = entry[field]
        if not isinstance(value, types):
            names = (types.__name__ if isinstance(types, type) else
                     ' or '.join(t.__name__ for t in types))
            raise ValueError(f'{ann_file}: entry {idx}: field {field!r} must '
                             f'be {names}, got {type(value).__name__}')
        return value

    @classmethod
    def require_text(cls, entry: dict, field: str, ann_file: str,
                     idx: int) -> Union[str, List[str]]:
        """A caption field: a string or a non-empty list of strings."""
        value = cls.require(entry, field, (str, list), ann_file, idx)
        if isinstance(value, list):
            if not value or not all(isinstance(v, str) for v in value):
                raise ValueError(f'{ann_file}: entry {idx}: field {field!r} '
                                 'must be a string or a non-empty list of '
                                 'strings')
        return value

    def image_path(self, rel_path: str) -> str:
        prefix = self.data_prefix.get('img_path', '')
        if osp.isabs(rel_path) or not prefix:
            return rel_path
        return osp.join(prefix, rel_path)

    # ------------------------------------------------------------------
    # bad samples
    # ------------------------------------------------------------------
    def prepare_data(self, idx: int) -> Optional[dict]:
        try:
            data = super().prepare_data(idx)
        except BadSampleError as e:
            info = self.get_data_info(idx)
            where = (f'(annotation {info.get("ann_file", "?")}, entry '
                     f'{info.get("ann_index", idx)})')
            if self.test_mode or self.on_bad_sample == 'error':
                raise BadSampleError(f'{e} {where}') from None
            self._skipped_since_last += 1
            self.num_bad_samples += 1
            MMLogger.get_current_instance().warning(
                f'skipped bad sample: {e} {where}')
            return None  # BaseDataset draws another index
        if data is not None and self._skipped_since_last:
            sample = data.get('data_samples')
            if sample is not None:
                sample.set_metainfo(
                    dict(bad_samples_skipped=self._skipped_since_last))
            self._skipped_since_last = 0
        return data
