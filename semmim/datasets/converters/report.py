"""What a conversion did: counts, skipped entries with their reasons, and
the one-line errors for malformed entries."""
from collections import Counter
from typing import Dict, Iterable, List, Optional, Set, TypeVar

from tqdm import tqdm

T = TypeVar('T')


class ConversionError(ValueError):
    """A malformed input: the message is one line naming the file, the entry
    and the field.

    Args:
        message (str): The line.
        reason (str, optional): What is wrong, without the place, under
            which a skipped entry is counted (e.g. ``"missing field
            'caption'"``). Defaults to the message.
    """

    def __init__(self, message: str, reason: Optional[str] = None):
        super().__init__(message)
        self.reason = reason or message
        # an entry-level error, which --skip-bad may count and skip
        self.skippable = reason is not None


def where(path: str, entry, field: Optional[str] = None) -> str:
    """``"<path>: entry <entry>[: field '<field>']"``, the prefix of every
    message about one input entry (``entry`` is an index, a line number
    (``"line 7"``) or a path such as ``"images[3].sentences[1]"``)."""
    entry = entry if isinstance(entry, str) else f'entry {entry}'
    text = f'{path}: {entry}'
    return text if field is None else f"{text}: field '{field}'"


class ConversionReport:
    """Counts of one conversion, printed at its end.

    Every input entry that does not make it into the output goes through
    :meth:`skip` (an expected gap, e.g. an image that was not downloaded)
    or :meth:`bad` (a malformed entry): nothing is dropped without being
    counted under a reason.

    Args:
        name (str): What is converted, e.g. ``'CC3M train'``.
        strict (bool): Malformed entries raise :class:`ConversionError`
            (the default of every converter); otherwise they are counted
            as skipped under their reason. Defaults to True.
        max_examples (int): Example messages kept per reason. Defaults
            to 3.
    """

    def __init__(self, name: str, strict: bool = True,
                 max_examples: int = 3):
        self.name = name
        self.strict = strict
        self.max_examples = max_examples
        self.outputs: Dict[str, Dict[str, int]] = {}
        self._images: Dict[str, Set[str]] = {}
        self.skipped: Counter = Counter()
        self.examples: Dict[str, List[str]] = {}
        self.notes: List[str] = []

    # counting -----------------------------------------------------------
    def add(self, output: str, image: Optional[str] = None,
            captions: int = 0, questions: int = 0,
            new_image: bool = False) -> None:
        """Count one written entry of ``output`` (a file name): its image
        (distinct images are counted; ``new_image=True`` counts one without
        keeping its name, for streams where every row has its own image)
        and its captions or questions."""
        counts = self.outputs.setdefault(
            output, dict(entries=0, captions=0, questions=0, images=0))
        counts['entries'] += 1
        counts['captions'] += captions
        counts['questions'] += questions
        if image is not None:
            self._images.setdefault(output, set()).add(image)
        elif new_image:
            counts['images'] += 1

    def num_images(self, output: str) -> int:
        counts = self.outputs.get(output, {})
        return len(self._images.get(output, ())) + counts.get('images', 0)

    def skip(self, reason: str, message: Optional[str] = None,
             count: int = 1) -> None:
        """Count ``count`` input entries left out for ``reason``."""
        self.skipped[reason] += count
        if message is not None:
            examples = self.examples.setdefault(reason, [])
            if len(examples) < self.max_examples:
                examples.append(message)

    def bad(self, error: 'ConversionError') -> None:
        """A malformed entry: raise ``error`` when strict, else count it as
        skipped under ``error.reason`` (with the message as an example)."""
        if self.strict:
            raise error
        self.skip(f'malformed: {error.reason}', str(error))

    def note(self, text: str) -> None:
        """A line printed with the summary (a warning, a gap)."""
        self.notes.append(text)

    # printing -----------------------------------------------------------
    def summary(self) -> str:
        lines = [f'{self.name}:']
        for output, c in self.outputs.items():
            parts = [f'{c["entries"]:,} entries']
            if output in self._images or c['images']:
                parts.append(f'{self.num_images(output):,} images')
            if c['captions']:
                parts.append(f'{c["captions"]:,} captions')
            if c['questions']:
                parts.append(f'{c["questions"]:,} questions')
            lines.append(f'  wrote {output}: ' + ', '.join(parts))
        if not self.outputs:
            lines.append('  wrote nothing')
        total = sum(self.skipped.values())
        lines.append(f'  skipped {total:,} input entries' +
                     (':' if total else ''))
        for reason, n in self.skipped.most_common():
            lines.append(f'    {n:,} {reason}')
            for example in self.examples.get(reason, []):
                lines.append(f'      e.g. {example}')
        lines.extend(f'  note: {n}' for n in self.notes)
        return '\n'.join(lines)


def progress(items: Iterable[T], desc: str, enabled: bool = True,
             total: Optional[int] = None, unit: str = 'entry') -> Iterable[T]:
    """``items`` behind a tqdm bar (on stderr) unless disabled."""
    if not enabled:
        return items
    return tqdm(items, desc=desc, total=total, unit=unit, unit_scale=True,
                dynamic_ncols=True, mininterval=1.0)
