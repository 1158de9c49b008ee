"""Reading the publishers' JSON files and writing ours, a stream at a time.

The official files go up to a few GB (Visual Genome's region
descriptions); :func:`iter_json_array` yields the elements of a top-level
JSON list without holding the whole document, and :class:`JsonListWriter`
writes a JSON list one entry per line, into a temporary file that replaces
the target only when the conversion finished.
"""
import json
import os
import os.path as osp
from typing import Any, Iterator

from .report import ConversionError, where

_CHUNK = 1 << 20
_WS = ' \t\r\n'


def load_json(path: str, what: str = 'annotation file') -> Any:
    """The content of a JSON file; missing or malformed is one line."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: {what} not found')
    with open(path, 'r', encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ConversionError(f'{path}: not valid JSON ({e})') from None


def iter_json_array(path: str, chunk_size: int = _CHUNK) -> Iterator[Any]:
    """Yield the elements of the JSON list in ``path`` one by one.

    Memory holds one element and one chunk of text, whatever the file's
    size (``json.load`` of Visual Genome's 700 MB region file takes several
    GB).

    Raises:
        ConversionError: The file is not a JSON list, or is malformed (the
            message gives the element index and the byte offset).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: annotation file not found')
    decoder = json.JSONDecoder()
    with open(path, 'r', encoding='utf-8') as f:
        # buf[pos:] is unread; `base` is the file offset of buf[0]
        buf, pos, base, eof = '', 0, 0, False

        def fill() -> bool:
            nonlocal buf, pos, base, eof
            if eof:
                return False
            chunk = f.read(chunk_size)
            if not chunk:
                eof = True
                return False
            buf, base, pos = buf[pos:] + chunk, base + pos, 0
            return True

        def next_char() -> str:
            """The next non-space character (not consumed), '' at EOF."""
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in _WS:
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not fill():
                    return ''

        if next_char() != '[':
            raise ConversionError(f'{path}: expected a JSON list')
        pos += 1
        if next_char() == ']':
            return
        index = 0
        while True:
            next_char()
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                except json.JSONDecodeError as e:
                    if fill():
                        continue
                    raise ConversionError(
                        f'{path}: element {index}: not valid JSON near byte '
                        f'{base + e.pos} ({e.msg})') from None
                # a number cut by the chunk ("1.5e" of "1.5e3") decodes
                # too: read on until a delimiter follows it
                if (end == len(buf) or buf[end] not in ',]' + _WS) and (
                        fill()):
                    continue
                break
            yield value
            index += 1
            pos = end
            char = next_char()
            if char == ',':
                pos += 1
            elif char == ']':
                return
            else:
                raise ConversionError(
                    f'{path}: element {index}: expected "," or "]" at byte '
                    f'{base + pos}')


class JsonListWriter:
    """Write a JSON list entry by entry (one per line).

    The list goes to ``<path>.tmp``; :meth:`close` moves it onto ``path``,
    so an interrupted conversion never leaves a truncated file where the
    configs look. Use as a context manager: an exception removes the
    temporary file.

    Args:
        path (str): The JSON file to write; folders are created.
    """

    def __init__(self, path: str):
        self.path = path
        self.tmp_path = path + '.tmp'
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        self._f = open(self.tmp_path, 'w', encoding='utf-8')
        self._f.write('[')
        self.count = 0

    def write(self, entry: Any) -> None:
        self._f.write('\n' if self.count == 0 else ',\n')
        self._f.write(json.dumps(entry, ensure_ascii=False))
        self.count += 1

    def close(self) -> None:
        if self._f.closed:
            return
        self._f.write('\n]\n')
        self._f.close()
        os.replace(self.tmp_path, self.path)

    def abort(self) -> None:
        if not self._f.closed:
            self._f.close()
        if osp.exists(self.tmp_path):
            os.remove(self.tmp_path)

    def __enter__(self) -> 'JsonListWriter':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def dump_json(obj: Any, path: str) -> None:
    """Write ``obj`` to ``path`` (folders created, replaced atomically)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(obj, f, ensure_ascii=False)
    os.replace(path + '.tmp', path)


# field checks -------------------------------------------------------------
def _type_names(types) -> str:
    types = types if isinstance(types, tuple) else (types, )
    return ' or '.join(t.__name__ for t in types)


def field(entry: Any, name: str, types, path: str, idx) -> Any:
    """``entry[name]``, which must exist with one of ``types``.

    Raises:
        ConversionError: One line naming ``path``, entry ``idx`` and the
            field (``bool`` does not pass for ``int``).
    """
    if not isinstance(entry, dict):
        raise ConversionError(
            f'{where(path, idx)}: expected an object, got '
            f'{type(entry).__name__}', 'entry is not an object')
    if name not in entry:
        raise ConversionError(f'{where(path, idx)}: missing field {name!r}',
                              f'missing field {name!r}')
    value = entry[name]
    allowed = types if isinstance(types, tuple) else (types, )
    if not isinstance(value, types) or (isinstance(value, bool)
                                        and bool not in allowed):
        raise ConversionError(
            f'{where(path, idx, name)} must be {_type_names(types)}, got '
            f'{type(value).__name__}',
            f'field {name!r} not {_type_names(types)}')
    return value


def text_field(entry: Any, name: str, path: str, idx) -> str:
    """A string field, stripped, which must not be empty (see
    :func:`field`)."""
    value = field(entry, name, str, path, idx).strip()
    if not value:
        raise ConversionError(f'{where(path, idx, name)} is empty',
                              f'empty {name!r}')
    return value
