"""CIDEr-D for self-critical training, with corpus document frequencies."""
import math
import re
from collections import Counter, defaultdict
from typing import Callable, Dict, Hashable, Iterable, List, Optional, Sequence

import numpy as np

NGram = tuple


def caption_words(caption: str) -> List[str]:
    """Lower-case words of a caption, punctuation removed (the cleaning
    the training captions get from ``PreCaption``)."""
    return re.sub(r"[^\w\s']", ' ', caption.lower()).split()


def ngram_counts(words: Sequence[str], n: int = 4) -> Counter:
    """Counts of all 1..n-grams of a word list."""
    counts = Counter()
    for k in range(1, n + 1):
        for i in range(len(words) - k + 1):
            counts[tuple(words[i:i + k])] += 1
    return counts


class CiderD:
    """CIDEr-D (Vedantam et al. 2015): mean over n = 1..4 of the clipped
    TF-IDF cosine between a candidate and each reference, with a Gaussian
    penalty on the length difference (sigma 6), times 10, averaged over the
    references. The same formula as pycocoevalcap's ``Cider`` (which is
    CIDEr-D), including its length convention (a sentence's length is its
    number of bigrams).

    For self-critical training the IDF comes from a fixed corpus, the
    training references (one document per image, as in Rennie et al.'s
    'coco-train-idxs'), so that a candidate's reward does not depend on the
    rest of its batch. Without a corpus, the references passed to
    :meth:`compute_score` are the corpus (pycocoevalcap's behaviour).

    Args:
        corpus (Iterable[Sequence[str]], optional): Reference captions per
            image (raw strings; tokenised with ``tokenizer``).
        n (int): Longest n-gram. Defaults to 4.
        sigma (float): Length penalty width. Defaults to 6.0.
        tokenizer (callable): ``str -> list[str]``. Defaults to
            :func:`caption_words`.
    """

    def __init__(self,
                 corpus: Optional[Iterable[Sequence[str]]] = None,
                 n: int = 4,
                 sigma: float = 6.0,
                 tokenizer: Callable[[str], List[str]] = caption_words):
        self.n = n
        self.sigma = sigma
        self.tokenizer = tokenizer
        self.doc_freq: Optional[Dict[NGram, float]] = None
        self.log_num_docs: Optional[float] = None
        if corpus is not None:
            self.doc_freq, self.log_num_docs = self.document_frequency(
                [[self._counts(r) for r in refs] for refs in corpus])

    @classmethod
    def from_annotations(cls, ann_file: str, **kwargs) -> 'CiderD':
        """Corpus from a caption annotation file: a Karpathy-style list of
        ``{"image" or "image_id", "caption": str or [str]}`` (entries of
        one image are grouped) or COCO format (``annotations`` with
        ``image_id`` and ``caption``)."""
        import json
        with open(ann_file, 'r', encoding='utf-8') as f:
            content = json.load(f)
        groups: Dict[Hashable, List[str]] = defaultdict(list)
        if isinstance(content, dict):
            for ann in content['annotations']:
                groups[ann['image_id']].append(ann['caption'])
        else:
            for entry in content:
                key = entry.get('image_id', entry.get('image'))
                caps = entry['caption']
                groups[key].extend([caps] if isinstance(caps, str) else caps)
        return cls(corpus=groups.values(), **kwargs)

    # ------------------------------------------------------------------
    def _counts(self, caption: str) -> Counter:
        return ngram_counts(self.tokenizer(caption), self.n)

    @staticmethod
    def document_frequency(refs_counts: List[List[Counter]]):
        """Number of images whose references contain each n-gram, and
        log(number of images)."""
        df = defaultdict(float)
        for refs in refs_counts:
            for ngram in set(g for r in refs for g in r):
                df[ngram] += 1
        return df, math.log(float(len(refs_counts)))

    def _vector(self, counts: Counter, df, log_docs):
        """TF-IDF weights per n-gram order, their norms and the length."""
        vec = [dict() for _ in range(self.n)]
        norm = [0.0] * self.n
        length = 0
        for ngram, tf in counts.items():
            k = len(ngram) - 1
            # an n-gram unseen in the corpus counts as seen once
            w = float(tf) * (log_docs - math.log(max(1.0, df.get(ngram, 0.0))))
            vec[k][ngram] = w
            norm[k] += w * w
            if k == 1:  # pycocoevalcap's length: the number of bigrams
                length += tf
        return vec, [math.sqrt(x) for x in norm], length

    def _similarity(self, hyp, ref) -> float:
        (vh, nh, lh), (vr, nr, lr) = hyp, ref
        penalty = math.exp(-((lh - lr) ** 2) / (2 * self.sigma ** 2))
        total = 0.0
        for k in range(self.n):
            val = sum(min(w, vr[k].get(g, 0.0)) * vr[k].get(g, 0.0)
                      for g, w in vh[k].items())
            if nh[k] != 0 and nr[k] != 0:
                val /= nh[k] * nr[k]
            total += val * penalty
        return total / self.n

    def compute_score(self, candidates: Sequence[str],
                      references: Sequence[Sequence[str]]) -> np.ndarray:
        """CIDEr-D of each candidate against its references.

        Args:
            candidates (Sequence[str]): ``N`` captions.
            references (Sequence[Sequence[str]]): ``N`` lists of references
                (candidates of one image may share one list object; its
                vectors are then computed once).

        Returns:
            np.ndarray: ``(N,)`` scores (pycocoevalcap's scale, 0-10).
        """
        if len(candidates) != len(references):
            raise ValueError(f'{len(candidates)} candidates but '
                             f'{len(references)} reference lists')
        ref_counts, cache = [], {}
        for refs in references:
            key = id(refs)
            if key not in cache:
                cache[key] = [self._counts(r) for r in refs]
            ref_counts.append(cache[key])
        if self.doc_freq is None:
            unique = list({id(r): r for r in ref_counts}.values())
            df, log_docs = self.document_frequency(unique)
        else:
            df, log_docs = self.doc_freq, self.log_num_docs
        ref_vecs = {}
        scores = np.zeros(len(candidates))
        for i, (cand, refs) in enumerate(zip(candidates, ref_counts)):
            if not refs:
                raise ValueError(f'candidate {i} has no references')
            key = id(refs)
            if key not in ref_vecs:
                ref_vecs[key] = [self._vector(r, df, log_docs) for r in refs]
            hyp = self._vector(self._counts(cand), df, log_docs)
            sims = [self._similarity(hyp, ref) for ref in ref_vecs[key]]
            scores[i] = 10.0 * sum(sims) / len(sims)
        return scores
