"""Write a BERT vocab.txt fitted to a dataset's texts.

Reads every caption, question and answer of the annotation files under
``DATA_ROOT/annotations`` (JSON lists of records with ``caption``,
``question`` or ``answer`` fields), and writes BERT's special tokens
followed by each of their words once (``fit_word_vocab``). Point a
``LocalBertTokenizer`` at the output's folder and set the towers'
``vocab_size`` to its length (see docs/shapes_vl_v2.md).

Example (the vocabulary shipped for Shapes-VL v2)::

    python tools/dataset_converters/fit_vocab.py \
        --data-root data/shapes_vl_v2 \
        --out semmim/datasets/shapes_vl/vocab_v2/vocab.txt
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

try:
    from semmim.models.utils.tokenizer import fit_word_vocab, write_vocab
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0,
                    osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from semmim.models.utils.tokenizer import fit_word_vocab, write_vocab

FIELDS = ('caption', 'question', 'answer')


def annotation_texts(data_root: str):
    """Every caption, question and answer string of the annotation lists
    under ``data_root/annotations``; returns ``(texts, files read)``."""
    texts, files = [], []
    for path in sorted(glob.glob(osp.join(data_root, 'annotations',
                                          '*.json'))):
        with open(path) as f:
            records = json.load(f)
        if not isinstance(records, list):
            continue
        used = False
        for i, rec in enumerate(records):
            if isinstance(rec, str):  # an answer list
                texts.append(rec)
                used = True
                continue
            if not isinstance(rec, dict):
                raise ValueError(f'{path}: entry {i} is a '
                                 f'{type(rec).__name__}, not a record')
            for field in FIELDS:
                value = rec.get(field)
                if value is None:
                    continue
                values = value if isinstance(value, list) else [value]
                if not all(isinstance(v, str) for v in values):
                    raise ValueError(f'{path}: entry {i}, field {field!r} '
                                     'is not a string or list of strings')
                texts.extend(values)
                used = True
        if used:
            files.append(path)
    return texts, files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='data/shapes_vl_v2')
    parser.add_argument('--out', required=True, help='the vocab.txt to write')
    args = parser.parse_args(argv)
    texts, files = annotation_texts(args.data_root)
    if not texts:
        raise SystemExit(f'{args.data_root}/annotations: no caption, '
                         'question or answer found')
    tokens = fit_word_vocab(texts)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    write_vocab(tokens, args.out)
    print(f'wrote {args.out}: {len(tokens)} tokens from {len(texts)} texts '
          f'in {len(files)} files')
    return 0


if __name__ == '__main__':
    sys.exit(main())
