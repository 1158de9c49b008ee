"""The 4M pre-training list: whichever of COCO, Visual Genome, CC3M and
SBU the user has, in one file, and how far it is from the paper's.

The paper (Section 4.1) pre-trains on ALBEF's corpus, 4M images and 5.1M
captions; the per-dataset counts are ALBEF's (and BLIP's) published
statistics, listed in :data:`PAPER_COUNTS`.
"""
import os.path as osp
from array import array
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np

from .json_io import JsonListWriter, iter_json_array
from .report import ConversionError, ConversionReport, progress, where

# source -> pre-training files (relative to the data root)
SOURCE_FILES = OrderedDict(
    coco=('annotations/pretrain/coco.json', ),
    vg=('annotations/pretrain/vg.json', ),
    cc3m=('annotations/pretrain/cc3m_train.json',
          'annotations/pretrain/cc3m_val.json'),
    sbu=('annotations/pretrain/sbu.json', ),
)
# (images, captions) per source in ALBEF's 4M corpus
PAPER_COUNTS = OrderedDict(
    coco=(113_000, 567_000),
    vg=(100_000, 769_000),
    cc3m=(2_950_000, 2_950_000),
    sbu=(860_000, 860_000),
)
PAPER_TOTAL = (4_000_000, 5_100_000)
PRETRAIN_4M_FILE = 'annotations/pretrain/pretrain_4m.json'


def assemble_pretrain_4m(data_root: str = 'data',
                         sources: Optional[Sequence[str]] = None,
                         out: str = PRETRAIN_4M_FILE,
                         check_images: bool = False,
                         strict: bool = True,
                         show_progress: bool = True) -> ConversionReport:
    """Concatenate the pre-training files that exist into ``out``.

    Reads ``SOURCE_FILES`` under ``data_root`` (written by the converters
    or taken from ALBEF's release; any JSON list of ``{"image", "caption":
    str or [str]}``), streaming, checks every entry, and writes them to
    ``data_root/out``, the file ``configs/_base_/datasets/pretrain_4m.py``
    reads. With ``check_images``, entries whose image file is missing under
    ``data_root`` are counted and left out.

    The report's ``table`` attribute holds per source ``(images,
    captions)``, and its notes the comparison with :data:`PAPER_COUNTS`.

    Raises:
        FileNotFoundError: None of the files exists.
    """
    sources = list(sources or SOURCE_FILES)
    unknown = set(sources) - set(SOURCE_FILES)
    if unknown:
        raise ValueError(f'unknown sources {sorted(unknown)}; choose from '
                         f'{list(SOURCE_FILES)}')
    out_path = osp.join(data_root, out)
    report = ConversionReport(f'4M pre-training list ({out_path})', strict)
    table: Dict[str, tuple] = OrderedDict()
    found = [s for s in sources
             if any(osp.isfile(osp.join(data_root, f))
                    for f in SOURCE_FILES[s])]
    if not found:
        raise FileNotFoundError(
            f'{data_root}: none of the pre-training files '
            f'{[f for s in sources for f in SOURCE_FILES[s]]} exists; run '
            'the converters first (docs/preparing_data.md)')
    with JsonListWriter(out_path) as writer:
        for source in sources:
            # 8 bytes per entry, counted distinct at the end (a set of 4M
            # names or hashes would take ~10x that)
            images, captions = array('q'), 0
            for rel in SOURCE_FILES[source]:
                path = osp.join(data_root, rel)
                if not osp.isfile(path):
                    report.note(f'{source}: {path} not found, left out')
                    continue
                for i, entry in enumerate(progress(
                        iter_json_array(path), osp.basename(path),
                        show_progress)):
                    try:
                        n = _check_entry(entry, path, i)
                    except ConversionError as e:
                        report.bad(e)
                        continue
                    if check_images and not osp.isfile(
                            osp.join(data_root, entry['image'])):
                        report.skip('entries whose image file is missing',
                                    f'{where(path, i)}: no '
                                    f'{osp.join(data_root, entry["image"])}')
                        continue
                    writer.write(entry)
                    images.append(hash(entry['image']))
                    captions += n
                    report.add(out_path, captions=n)
            if source in found:
                distinct = len(np.unique(np.frombuffer(images, np.int64)))
                table[source] = (distinct, captions)
    report.table = table
    _compare_with_paper(report, table)
    return report


def _check_entry(entry, path: str, idx: int) -> int:
    """Number of captions of a valid entry; else one-line error."""
    if not isinstance(entry, dict):
        raise ConversionError(f'{where(path, idx)}: expected an object',
                              'entry is not an object')
    for key in ('image', 'caption'):
        if key not in entry:
            raise ConversionError(f'{where(path, idx)}: missing field '
                                  f'{key!r}', f'missing field {key!r}')
    if not isinstance(entry['image'], str) or not entry['image']:
        raise ConversionError(f'{where(path, idx, "image")} must be a '
                              'non-empty string', "field 'image' not a path")
    caption = entry['caption']
    caps = [caption] if isinstance(caption, str) else caption
    if not isinstance(caps, list) or not caps or not all(
            isinstance(c, str) and c.strip() for c in caps):
        raise ConversionError(
            f'{where(path, idx, "caption")} must be a non-empty string or a '
            'non-empty list of them', "field 'caption' empty or mistyped")
    return len(caps)


def _compare_with_paper(report: ConversionReport, table: dict) -> None:
    lines = [f'{"source":<6} {"images":>10} {"paper":>10} '
             f'{"captions":>10} {"paper":>10}']
    for source, (paper_img, paper_cap) in PAPER_COUNTS.items():
        img, cap = table.get(source, (0, 0))
        lines.append(f'{source:<6} {img:>10,} {paper_img:>10,} '
                     f'{cap:>10,} {paper_cap:>10,}'
                     + ('' if source in table else '   (not found)'))
    img = sum(v[0] for v in table.values())
    cap = sum(v[1] for v in table.values())
    lines.append(f'{"total":<6} {img:>10,} {PAPER_TOTAL[0]:>10,} '
                 f'{cap:>10,} {PAPER_TOTAL[1]:>10,}')
    report.note('compared with the paper (ALBEF\'s 4M corpus):\n    '
                + '\n    '.join(lines))
    report.note(f'{img / PAPER_TOTAL[0]:.1%} of the paper\'s 4M images '
                f'(short by {max(0, PAPER_TOTAL[0] - img):,}), '
                f'{cap / PAPER_TOTAL[1]:.1%} of its 5.1M captions')
