import pytest

from semmim.datasets import BadSampleError
from semmim.datasets.transforms import PreCaption


def test_pre_caption_cleans_and_truncates():
    t = PreCaption(keys='text', max_words=5)
    out = t(dict(text='  A  Big, RED circle; left of the square!  '))
    assert out['text'] == 'a big red circle left'
    out = t(dict(text=['One.', 'Two  words']))
    assert out['text'] == ['one', 'two words']


def test_pre_caption_empty_is_bad_sample():
    with pytest.raises(BadSampleError, match='empty caption'):
        PreCaption()(dict(text='...', img_path='x.png'))
    assert PreCaption(allow_empty=True)(dict(text='!'))['text'] == ''
    with pytest.raises(ValueError):
        PreCaption(max_words=0)
