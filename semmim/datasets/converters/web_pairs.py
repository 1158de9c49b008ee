"""Web-crawled pairs: Conceptual Captions (CC3M) and SBU Captions.

Their publishers ship captions and image URLs, not images:

* CC3M (https://ai.google.com/research/ConceptualCaptions/download):
  ``Train_GCC-training.tsv`` (3,318,333 lines) and
  ``Validation_GCC-1.1.0-Validation.tsv`` (15,840), one
  ``caption<TAB>url`` per line, no header;
* SBU (https://www.cs.rice.edu/~vo9/sbucaptions/):
  ``SBU_captioned_photo_dataset_urls.txt`` and
  ``SBU_captioned_photo_dataset_captions.txt``, 1M lines each, line *i*
  of one belonging to line *i* of the other; or ``sbu-captions-all.json``,
  ``{"image_urls": [...], "captions": [...], "user_ids": [...]}``.

The images are downloaded by the user (img2dataset, or the publishers'
scripts), and many URLs are dead: a pair whose image file is missing is
counted and skipped. Where the downloader put each image is a template of
the row (:func:`image_name`).
"""
import hashlib
import os.path as osp
import zlib
from typing import Iterator, Optional, Tuple, Union
from urllib.parse import urlparse

from .json_io import JsonListWriter, load_json
from .report import ConversionError, ConversionReport, progress, where

# img2dataset's layout with its defaults (10,000 images per shard folder,
# file name = 9-digit row index): 00000/000000000.jpg, ...
DEFAULT_IMAGE_NAME = '{shard:05d}/{index:09d}.jpg'

Row = Union[Tuple[str, str, str], ConversionError]


def image_name(template: str, index: int, url: str,
               shard_size: int = 10000) -> str:
    """The file name of row ``index``'s image, from ``template``.

    Fields: ``{index}`` (0-based row of the caption file, header not
    counted), ``{shard}`` (``index // shard_size``), ``{url_name}`` (the
    last part of the URL's path), ``{crc32}`` (``zlib.crc32`` of the URL,
    unsigned decimal), ``{md5}`` and ``{sha1}`` (hex digests of the URL).

    >>> image_name('{shard:05d}/{index:09d}.jpg', 12345, 'http://a/b.jpg')
    '00001/000012345.jpg'
    """
    data = url.encode('utf-8')
    fields = dict(index=index, shard=index // shard_size,
                  url_name=osp.basename(urlparse(url).path))
    if '{crc32' in template:
        fields['crc32'] = zlib.crc32(data) & 0xffffffff
    if '{md5' in template:
        fields['md5'] = hashlib.md5(data).hexdigest()
    if '{sha1' in template:
        fields['sha1'] = hashlib.sha1(data).hexdigest()
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f'image name template {template!r}: {e!r}; fields '
                         'are index, shard, url_name, crc32, md5, '
                         'sha1') from None


def iter_cc3m_tsv(path: str) -> Iterator[Row]:
    """Yield ``(where, caption, url)`` per data line of a CC3M TSV, read
    line by line (a header line ``caption<TAB>url`` is passed over; it
    does not count as a row). A malformed line yields a
    :class:`ConversionError` in its place, so row indices stay those of
    the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: caption file not found')
    with open(path, 'r', encoding='utf-8', newline='') as f:
        for line_no, line in enumerate(f, start=1):
            parts = line.rstrip('\r\n').split('\t')
            if line_no == 1 and [p.strip().lower()
                                 for p in parts] == ['caption', 'url']:
                continue
            place = f'line {line_no}'
            if len(parts) != 2:
                yield ConversionError(
                    f'{where(path, place)}: expected caption<TAB>url, got '
                    f'{len(parts)} fields', 'not caption<TAB>url')
                continue
            yield _row(path, place, parts[0], parts[1])


def _row(path: str, place: str, caption, url) -> Row:
    if not isinstance(caption, str) or not caption.strip():
        return ConversionError(f'{where(path, place, "caption")} is empty',
                               'empty caption')
    if not isinstance(url, str) or not urlparse(url.strip()).netloc:
        return ConversionError(
            f'{where(path, place, "url")} is not a URL: {url!r}',
            'url is not a URL')
    return place, ' '.join(caption.split()), url.strip()


def iter_sbu_txt(urls: str, captions: str) -> Iterator[Row]:
    """Yield ``(where, caption, url)`` from SBU's two line-aligned text
    files, read line by line."""
    for path in (urls, captions):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: SBU file not found')
    with open(urls, encoding='utf-8') as fu, open(
            captions, encoding='utf-8', errors='replace') as fc:
        line_no = 0
        while True:
            url, cap = fu.readline(), fc.readline()
            line_no += 1
            if not url and not cap:
                return
            if not url or not cap:
                longer, shorter = (captions, urls) if cap else (urls,
                                                                captions)
                raise ConversionError(
                    f'{where(longer, f"line {line_no}")}: {shorter} ends '
                    f'at line {line_no - 1}; the two files must have one '
                    'line per photo')
            yield _row(captions, f'line {line_no}', cap, url)


def iter_sbu_json(path: str) -> Iterator[Row]:
    """Yield ``(where, caption, url)`` from ``sbu-captions-all.json``."""
    content = load_json(path)
    if not isinstance(content, dict) or not all(
            isinstance(content.get(k), list)
            for k in ('image_urls', 'captions')):
        raise ConversionError(f'{path}: expected an object with '
                              '"image_urls" and "captions" lists')
    urls, caps = content['image_urls'], content['captions']
    if len(urls) != len(caps):
        raise ConversionError(f'{path}: {len(urls)} image_urls but '
                              f'{len(caps)} captions')
    for i, (url, cap) in enumerate(zip(urls, caps)):
        yield _row(path, f'entry {i}', cap, url)


def convert_web_pairs(rows: Iterator[Row],
                      out: str,
                      image_root: str,
                      out_root: str = 'data',
                      name_template: str = DEFAULT_IMAGE_NAME,
                      shard_size: int = 10000,
                      check_images: bool = True,
                      name: str = 'web pairs',
                      strict: bool = True,
                      show_progress: bool = True,
                      total: Optional[int] = None) -> ConversionReport:
    """Write the pre-training file ``out`` from ``rows``, streaming.

    Row ``i`` (counting malformed rows, so that indices are those of the
    caption file) has its image at ``image_root/<image_name(template,
    i, url)>``; the entry's ``"image"`` is that path relative to
    ``out_root`` (the pre-training ``data_root``), or absolute when the
    images live elsewhere. Rows whose image file is missing are counted
    and skipped (unless ``check_images`` is False).

    Returns:
        ConversionReport: The counts.
    """
    report = ConversionReport(name, strict)
    root = osp.abspath(image_root)
    inside = not osp.relpath(root, osp.abspath(out_root)).startswith('..')
    if check_images and not osp.isdir(image_root):
        raise FileNotFoundError(f'{image_root}: image folder not found')
    with JsonListWriter(out) as writer:
        for index, row in enumerate(progress(rows, name, show_progress,
                                             total=total, unit='pair')):
            if isinstance(row, ConversionError):
                report.bad(row)
                continue
            place, caption, url = row
            rel = image_name(name_template, index, url, shard_size)
            path = osp.join(root, rel)
            if check_images and not osp.isfile(path):
                report.skip('pairs whose image file is missing',
                            f'{place}: no {path}')
                continue
            image = (osp.relpath(path, osp.abspath(out_root))
                     if inside else path)
            writer.write(dict(image=image, caption=caption))
            # every row is its own download: images counted, not stored
            report.add(out, captions=1, new_image=True)
    return report
