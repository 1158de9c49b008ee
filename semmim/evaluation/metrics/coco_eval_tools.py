"""The COCO caption scorers (pycocoevalcap) run from any install.

pycocoevalcap's own ``COCOEvalCap`` writes temporary files into its package
folder (the PTB tokenizer's input, SPICE's input, output and cache), needs
Java for three of its parts and downloads Stanford CoreNLP for SPICE on
first use. This module runs the same scorers without those assumptions:

* temporary files go to the system temporary folder and every Java command
  gets absolute jar paths, so a read-only install (site-packages owned by
  another user, a container image) works;
* without ``java`` on the PATH, captions are tokenised by
  :func:`simple_ptb_tokenize` (a Python approximation of the PTB tokenizer:
  lower case, punctuation split off and dropped, clitics such as "'s" and
  "n't" split as PTB does) and METEOR is skipped;
* SPICE runs only when the Stanford CoreNLP 3.6.0 jars are present in
  pycocoevalcap's ``spice/lib`` (they cannot be fetched offline); otherwise
  it is skipped;
* a scorer that fails at run time is skipped, never the whole evaluation.

Each skip is reported once per process as one line naming what to install.
BLEU, ROUGE-L and CIDEr are pure Python and always run.

This module depends only on the standard library, numpy and pycocoevalcap.
"""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import tempfile
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np

#: Tokens the COCO evaluation drops after PTB tokenisation.
PUNCTUATIONS = {"''", "'", '``', '`', '-LRB-', '-RRB-', '-LCB-', '-RCB-',
                '.', '?', '!', ',', ':', '-', '--', '...', ';'}
#: Metrics :func:`evaluate_captions` knows, in report order.
ALL_METRICS = ('BLEU', 'METEOR', 'ROUGE_L', 'CIDEr', 'SPICE')
#: The Stanford CoreNLP jars SPICE needs next to ``spice-1.0.jar``.
SPICE_CORENLP_JARS = ('stanford-corenlp-3.6.0.jar',
                      'stanford-corenlp-3.6.0-models.jar')

_reported = set()
NO_JAVA_NOTE = (
    'caption metrics: no `java` on the PATH: captions are tokenised by the '
    'Python PTB approximation and METEOR and SPICE are skipped; install a '
    'Java runtime (e.g. apt-get install default-jre-headless) for the '
    'official scores')

Captions = Dict[Hashable, List[str]]


def report_once(message: str, log: Optional[Callable[[str], None]]) -> None:
    """Log ``message`` once per process (evaluations repeat every epoch)."""
    if message in _reported:
        return
    _reported.add(message)
    (log or print)(message)


def java_available() -> bool:
    """Whether a ``java`` executable is on the PATH."""
    return shutil.which('java') is not None


def package_dir() -> str:
    """pycocoevalcap's installation folder (read, never written)."""
    import pycocoevalcap
    return osp.abspath(list(pycocoevalcap.__path__)[0])


def missing_spice_jars() -> List[str]:
    """Paths of the CoreNLP jars SPICE needs that are not installed."""
    lib = osp.join(package_dir(), 'spice', 'lib')
    return [osp.join(lib, j) for j in SPICE_CORENLP_JARS
            if not osp.isfile(osp.join(lib, j))]


# ----------------------------------------------------------------------
# tokenisation
# ----------------------------------------------------------------------
_CLITIC_RE = re.compile(r"(?i)(\w)('s|'re|'ve|'ll|'d|'m|n't)\b")
_CLITICS = {"'s", "'re", "'ve", "'ll", "'d", "'m", "n't"}
# PTB escapes brackets; the COCO evaluation lower-cases and then keeps
# them ('-lrb-' is not in its punctuation list, '-LRB-' is)
_BRACKETS = {'(': '-lrb-', ')': '-rrb-', '{': '-lcb-', '}': '-rcb-',
             '[': '-lsb-', ']': '-rsb-'}
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:[-'.]\w+)*|\S")


def simple_ptb_tokenize(sentence: str) -> str:
    """Python stand-in for the Java PTB tokenizer of the COCO evaluation.

    Lower-cases, splits clitics (``"dog's" -> "dog 's"``, ``"don't" -> "do
    n't"``), splits punctuation off words and drops what the COCO
    evaluation drops, keeps hyphens and apostrophes inside words
    (``"t-shirt"``, ``"o'clock"``) and escapes brackets as PTB does. On
    plain captions it gives the Java tokenizer's tokens; it differs on rare
    cases (abbreviations keep no final period: ``"u.s."`` -> ``"u.s"``).
    """
    text = _CLITIC_RE.sub(r'\1 \2', sentence.replace('\n', ' ').lower())
    out = []
    for word in text.split():
        if word in _CLITICS:
            out.append(word)
            continue
        for tok in _TOKEN_RE.findall(word):
            tok = _BRACKETS.get(tok, tok)
            if tok not in PUNCTUATIONS and tok != '"':
                out.append(tok)
    return ' '.join(out)


def java_ptb_tokenize(sentences: List[str]) -> List[str]:
    """Tokenise with Stanford's PTB tokenizer (the official one).

    The input file lives in the system temporary folder (pycocoevalcap puts
    it in its package folder, which may be read-only).
    """
    jar = osp.join(package_dir(), 'tokenizer', 'stanford-corenlp-3.4.1.jar')
    fd, path = tempfile.mkstemp(prefix='semmim_ptb_', suffix='.txt')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write('\n'.join(s.replace('\n', ' ') for s in sentences))
        out = subprocess.run(
            ['java', '-cp', jar, 'edu.stanford.nlp.process.PTBTokenizer',
             '-preserveLines', '-lowerCase', path],
            cwd=tempfile.gettempdir(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, check=True).stdout.decode('utf-8')
    finally:
        os.remove(path)
    lines = out.split('\n')
    if len(lines) < len(sentences):
        raise RuntimeError(f'PTB tokenizer returned {len(lines)} lines for '
                           f'{len(sentences)} sentences')
    return [' '.join(w for w in line.rstrip().split(' ')
                     if w not in PUNCTUATIONS)
            for line in lines[:len(sentences)]]


def tokenize(captions: Captions, use_java: Optional[bool] = None,
             log: Optional[Callable[[str], None]] = None) -> Captions:
    """PTB-tokenise ``{id: [caption, ...]}`` (Java when available)."""
    flat = [(k, c) for k, caps in captions.items() for c in caps]
    sentences = [c for _, c in flat]
    if use_java is None:
        use_java = java_available()
        if not use_java:
            report_once(NO_JAVA_NOTE, log)
    tokens = None
    if use_java:
        try:
            tokens = java_ptb_tokenize(sentences)
        except (OSError, subprocess.SubprocessError, RuntimeError) as e:
            report_once(f'caption metrics: the Java PTB tokenizer failed '
                        f'({_first_line(e)}); using the Python '
                        'approximation', log)
    if tokens is None:
        tokens = [simple_ptb_tokenize(s) for s in sentences]
    out: Captions = {k: [] for k in captions}
    for (k, _), t in zip(flat, tokens):
        out[k].append(t)
    return out


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


# ----------------------------------------------------------------------
# scorers
# ----------------------------------------------------------------------
def meteor_score(gts: Captions, res: Captions) -> Tuple[float, List[float]]:
    """METEOR 1.5 through pycocoevalcap's wrapper (reads its jar and
    paraphrase table; writes nothing), with the Java process closed after
    use."""
    from pycocoevalcap.meteor.meteor import Meteor
    scorer = Meteor()
    try:
        return scorer.compute_score(gts, res)
    finally:
        proc = scorer.meteor_p
        if proc.stdin and not proc.stdin.closed:
            proc.stdin.close()
        proc.kill()
        proc.wait()


def spice_score(gts: Captions, res: Captions,
                cache_dir: Optional[str] = None
                ) -> Tuple[float, List[float]]:
    """SPICE with its input/output files in a temporary folder and its
    cache only where asked (pycocoevalcap writes both into its package)."""
    jar = osp.join(package_dir(), 'spice', 'spice-1.0.jar')
    ids = sorted(gts.keys(), key=str)
    data = [dict(image_id=i, test=res[i][0], refs=gts[i]) for i in ids]
    with tempfile.TemporaryDirectory(prefix='semmim_spice_') as tmp:
        in_file = osp.join(tmp, 'input.json')
        out_file = osp.join(tmp, 'output.json')
        with open(in_file, 'w') as f:
            json.dump(data, f)
        cmd = ['java', '-jar', '-Xmx8G', jar, in_file, '-out', out_file,
               '-subset', '-silent']
        if cache_dir:
            os.makedirs(cache_dir, exist_ok=True)
            cmd[5:5] = ['-cache', cache_dir]
        subprocess.run(cmd, cwd=tmp, check=True, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
        with open(out_file) as f:
            results = json.load(f)
    by_id = {r['image_id']: r['scores']['All']['f'] for r in results}

    def as_float(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return float('nan')

    scores = [as_float(by_id.get(i)) for i in ids]
    return float(np.nanmean(scores)), scores


def evaluate_captions(gts: Captions,
                      res: Captions,
                      metrics: Sequence[str] = ALL_METRICS,
                      use_java: Optional[bool] = None,
                      spice_cache_dir: Optional[str] = None,
                      log: Optional[Callable[[str], None]] = None,
                      tokenized: bool = False
                      ) -> Tuple[Dict[str, float], Dict[str, list]]:
    """Score predicted captions against references, as COCOEvalCap does.

    Args:
        gts (dict): ``{image_id: [reference, ...]}``.
        res (dict): ``{image_id: [prediction]}`` (one per image), same keys.
        metrics (Sequence[str]): Subset of :data:`ALL_METRICS`.
        use_java (bool, optional): Force Java on/off; None detects it.
        spice_cache_dir (str, optional): A writable folder for SPICE's
            parse cache (speeds up repeated evaluations). Defaults to none.
        log (callable, optional): Where skip notes go. Defaults to print.
        tokenized (bool): Captions are already PTB-tokenised.

    Returns:
        tuple: ``(scores, per_image)``: scores named as pycocoevalcap names
        them (``Bleu_1..4``, ``METEOR``, ``ROUGE_L``, ``CIDEr``, ``SPICE``)
        in [0, 1] (CIDEr in [0, 10]); per-image scores in ``sorted(gts)``
        order. Skipped metrics are absent.
    """
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    unknown = set(metrics) - set(ALL_METRICS)
    if unknown:
        raise ValueError(f'unknown caption metrics {sorted(unknown)}; '
                         f'choose from {ALL_METRICS}')
    if set(gts) != set(res):
        raise ValueError(f'{len(set(gts) ^ set(res))} image ids are not in '
                         'both the references and the predictions')
    if use_java is None:
        use_java = java_available()
    ids = sorted(gts.keys(), key=str)
    gts = {i: gts[i] for i in ids}
    res = {i: res[i] for i in ids}
    if not tokenized:
        gts = tokenize(gts, use_java, log)
        res = tokenize(res, use_java, log)
    if not use_java:
        report_once(NO_JAVA_NOTE, log)

    scores: Dict[str, float] = {}
    per_image: Dict[str, list] = {}

    def run(name, fn):
        try:
            score, each = fn()
        except Exception as e:  # a scorer's failure must not end the run
            report_once(f'caption metrics: {name} failed and is skipped '
                        f'({_first_line(e)})', log)
            return
        if isinstance(score, (list, tuple)):
            for k, (s, e) in enumerate(zip(score, each), 1):
                scores[f'Bleu_{k}'] = float(s)
                per_image[f'Bleu_{k}'] = list(e)
        else:
            scores[name] = float(score)
            per_image[name] = list(each)

    for name in metrics:
        if name == 'BLEU':
            run(name, lambda: Bleu(4).compute_score(gts, res, verbose=0))
        elif name == 'ROUGE_L':
            run(name, lambda: Rouge().compute_score(gts, res))
        elif name == 'CIDEr':
            run(name, lambda: Cider().compute_score(gts, res))
        elif name == 'METEOR' and use_java:
            run(name, lambda: meteor_score(gts, res))
        elif name == 'SPICE' and use_java:
            missing = missing_spice_jars()
            if missing:
                report_once(
                    'caption metrics: SPICE skipped: Stanford CoreNLP 3.6.0 '
                    f'is not installed ({", ".join(SPICE_CORENLP_JARS)} '
                    f'missing in {osp.dirname(missing[0])}); install it '
                    'with `python -m pycocoevalcap.spice.get_stanford_models`'
                    ' where the internet is reachable, or copy the two jars '
                    'there', log)
                continue
            run(name, lambda: spice_score(gts, res, spice_cache_dir))
    return scores, per_image
