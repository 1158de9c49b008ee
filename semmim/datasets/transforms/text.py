"""Caption cleaning (docs/design.md#one-pre-training-step, step 1)."""
from mmpretrain.datasets.transforms import CleanCaption

from semmim.registry import TRANSFORMS
from ..bad_samples import BadSampleError


@TRANSFORMS.register_module()
class PreCaption(CleanCaption):
    """Clean a caption as ALBEF/mPLUG do before tokenising: lower case,
    punctuation removed, whitespace collapsed, at most ``max_words`` words.

    An empty caption (after cleaning) is a bad sample: the dataset skips and
    counts it, or raises, by its ``on_bad_sample`` setting.

    Args:
        keys (str | Sequence[str]): Keys holding text (a string or a list of
            strings). Defaults to 'text'.
        max_words (int): Keep the first ``max_words`` words. Defaults to 30.
        allow_empty (bool): Accept empty captions (e.g. a VQA answer field).
            Defaults to False.
        **kwargs: See :class:`mmpretrain.datasets.transforms.CleanCaption`.
    """

    def __init__(self, keys='text', max_words: int = 30,
                 allow_empty: bool = False, **kwargs):
        super().__init__(keys=keys, **kwargs)
        if max_words <= 0:
            raise ValueError(f'max_words must be positive, got {max_words}')
        self.max_words = max_words
        self.allow_empty = allow_empty

    def _clean(self, text: str) -> str:
        text = super()._clean(text)
        words = text.split(' ')
        if len(words) > self.max_words:
            text = ' '.join(words[:self.max_words])
        return text

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        if not self.allow_empty:
            for key in self.keys:
                value = results[key]
                values = value if isinstance(value, list) else [value]
                if any(not v for v in values):
                    raise BadSampleError(
                        f'{results.get("img_path", "?")}: empty caption '
                        f'in field {key!r}')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'max_words={self.max_words})')
