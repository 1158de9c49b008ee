"""The official VQA accuracy, as a few plain functions.

This follows ``PythonEvaluationTools/vqaEvaluation/vqaEval.py`` of the
official VQA API (GT-Vision-Lab/VQA, master, commit a013f00 "Fixed
processing answers bug"), rule for rule, quirks included, so that numbers
computed here equal the official ones:

* newlines and tabs become spaces and the ends are stripped, in the
  prediction and in every ground-truth answer;
* only when the annotators did not all give the same string are the
  ground-truth answers and the prediction normalised
  (:func:`process_punctuation`, then :func:`process_digit_article`: lower
  case, number words to digits, articles dropped, contractions restored).
  When all answers agree the comparison is on the raw strings: "Yes"
  against ten "yes" scores 0;
* a question's accuracy is the mean over the 10 leave-one-annotator-out
  subsets of ``min(1, #matches among the other 9 / 3)``. With one
  matching annotator this is 0.3 (nine subsets score 1/3, one scores 0),
  not the 1/3 of the simplified ``min(1, n / 3)`` that mmpretrain's
  ``VQAAcc`` computes.

The challenge's evaluation server (Cloud-CV/VQA-Challenge) has a
regex-based punctuation step that differs on rare inputs; this module
follows the public API script.
"""
import re
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence

# The official contraction table: an answer word without its apostrophe is
# mapped to the contracted form (keys and values exactly as in vqaEval.py).
CONTRACTIONS = {
    "aint": "ain't", "arent": "aren't", "cant": "can't",
    "couldve": "could've", "couldnt": "couldn't",
    "couldn'tve": "couldn't've", "couldnt've": "couldn't've",
    "didnt": "didn't", "doesnt": "doesn't", "dont": "don't",
    "hadnt": "hadn't", "hadnt've": "hadn't've", "hadn'tve": "hadn't've",
    "hasnt": "hasn't", "havent": "haven't", "hed": "he'd",
    "hed've": "he'd've", "he'dve": "he'd've", "hes": "he's",
    "howd": "how'd", "howll": "how'll", "hows": "how's",
    "Id've": "I'd've", "I'dve": "I'd've", "Im": "I'm", "Ive": "I've",
    "isnt": "isn't", "itd": "it'd", "itd've": "it'd've",
    "it'dve": "it'd've", "itll": "it'll", "let's": "let's",
    "maam": "ma'am", "mightnt": "mightn't", "mightnt've": "mightn't've",
    "mightn'tve": "mightn't've", "mightve": "might've",
    "mustnt": "mustn't", "mustve": "must've", "neednt": "needn't",
    "notve": "not've", "oclock": "o'clock", "oughtnt": "oughtn't",
    "ow's'at": "'ow's'at", "'ows'at": "'ow's'at", "'ow'sat": "'ow's'at",
    "shant": "shan't", "shed've": "she'd've", "she'dve": "she'd've",
    "she's": "she's", "shouldve": "should've", "shouldnt": "shouldn't",
    "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've",
    "somebody'd": "somebodyd", "somebodyd've": "somebody'd've",
    "somebody'dve": "somebody'd've", "somebodyll": "somebody'll",
    "somebodys": "somebody's", "someoned": "someone'd",
    "someoned've": "someone'd've", "someone'dve": "someone'd've",
    "someonell": "someone'll", "someones": "someone's",
    "somethingd": "something'd", "somethingd've": "something'd've",
    "something'dve": "something'd've", "somethingll": "something'll",
    "thats": "that's", "thered": "there'd", "thered've": "there'd've",
    "there'dve": "there'd've", "therere": "there're", "theres": "there's",
    "theyd": "they'd", "theyd've": "they'd've", "they'dve": "they'd've",
    "theyll": "they'll", "theyre": "they're", "theyve": "they've",
    "twas": "'twas", "wasnt": "wasn't", "wed've": "we'd've",
    "we'dve": "we'd've", "weve": "we've", "werent": "weren't",
    "whatll": "what'll", "whatre": "what're", "whats": "what's",
    "whatve": "what've", "whens": "when's", "whered": "where'd",
    "wheres": "where's", "whereve": "where've", "whod": "who'd",
    "whod've": "who'd've", "who'dve": "who'd've", "wholl": "who'll",
    "whos": "who's", "whove": "who've", "whyll": "why'll",
    "whyre": "why're", "whys": "why's", "wont": "won't",
    "wouldve": "would've", "wouldnt": "wouldn't",
    "wouldnt've": "wouldn't've", "wouldn'tve": "wouldn't've",
    "yall": "y'all", "yall'll": "y'all'll", "y'allll": "y'all'll",
    "yall'd've": "y'all'd've", "y'alld've": "y'all'd've",
    "y'all'dve": "y'all'd've", "youd": "you'd", "youd've": "you'd've",
    "you'dve": "you'd've", "youll": "you'll", "youre": "you're",
    "youve": "you've",
}
# number words become digits ("none" counts as zero)
NUMBER_WORDS = {
    'none': '0', 'zero': '0', 'one': '1', 'two': '2', 'three': '3',
    'four': '4', 'five': '5', 'six': '6', 'seven': '7', 'eight': '8',
    'nine': '9', 'ten': '10'
}
ARTICLES = ('a', 'an', 'the')
PUNCTUATION = (';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\',
               '_', '-', '>', '<', '@', '`', ',', '?', '!')
# The official pattern, typo included: "(?!<=\d)" is a look-ahead that never
# blocks, so every period not followed by a digit is removed ("2.5" keeps
# its period, "dr." loses it).
_PERIOD = re.compile(r'(?!<=\d)(\.)(?!\d)')
_DIGIT_COMMA = re.compile(r'(\d)(\,)(\d)')


def process_punctuation(text: str) -> str:
    """The official punctuation step.

    A punctuation mark is deleted when it touches a space somewhere in the
    text (``"p "`` or ``" p"`` occurs) or when the text has a comma between
    digits ("1,000"); otherwise it becomes a space. Then periods not
    followed by a digit are removed (the official call passes
    ``re.UNICODE`` as the *count*, so at most 32 of them).
    """
    out = text
    has_digit_comma = _DIGIT_COMMA.search(text) is not None
    for p in PUNCTUATION:
        if (p + ' ' in text or ' ' + p in text) or has_digit_comma:
            out = out.replace(p, '')
        else:
            out = out.replace(p, ' ')
    return _PERIOD.sub('', out, count=int(re.UNICODE))


def process_digit_article(text: str) -> str:
    """The official word step: lower case, number words to digits,
    articles dropped, apostrophe-less contractions restored."""
    words = []
    for word in text.lower().split():
        word = NUMBER_WORDS.get(word, word)
        if word not in ARTICLES:
            words.append(word)
    return ' '.join(CONTRACTIONS.get(w, w) for w in words)


def clean_whitespace(answer: str) -> str:
    """Newlines and tabs to spaces, ends stripped (every answer)."""
    return answer.replace('\n', ' ').replace('\t', ' ').strip()


def normalize_answer(answer: str) -> str:
    """An answer fully normalised: whitespace, punctuation, words."""
    return process_digit_article(process_punctuation(clean_whitespace(
        answer)))


def vqa_accuracy(pred_answer: str, gt_answers: Sequence[str]) -> float:
    """Official accuracy of one prediction, in [0, 1].

    Args:
        pred_answer (str): The predicted answer, raw.
        gt_answers (Sequence[str]): The annotators' answers (10 in VQA v2),
            raw as in the annotation file.

    Returns:
        float: Mean over leave-one-annotator-out subsets of
        ``min(1, matches / 3)``.
    """
    if not gt_answers:
        raise ValueError('vqa_accuracy needs at least one ground-truth '
                         'answer')
    pred = clean_whitespace(pred_answer)
    gts = [clean_whitespace(a) for a in gt_answers]
    if len(set(gts)) > 1:
        gts = [normalize_answer(a) for a in gts]
        pred = normalize_answer(pred)
    matches = sum(a == pred for a in gts)
    # leaving annotator i out removes one match when i matched
    accs = [min(1.0, (matches - (a == pred)) / 3) for a in gts]
    return sum(accs) / len(accs)


def majority_answer(gt_answers: Sequence[str]) -> str:
    """The most common normalised answer of a question (first on ties)."""
    counts = Counter(normalize_answer(a) for a in gt_answers)
    return counts.most_common(1)[0][0]


def prior_answers(entries: Iterable[dict],
                  key: Optional[str] = None) -> Dict[Optional[str], str]:
    """Most frequent answer of a training set: the "prior" baselines of
    the VQA paper.

    Each question votes for its majority answer; the answer with most
    votes wins (ties: the one seen first).

    Args:
        entries (Iterable[dict]): Annotation entries with ``"answer"`` (a
            string or a list) and, for ``key``, that field.
        key (str, optional): Group by this field (e.g. ``'question_type'``)
            and return one answer per group; None for a single answer under
            the key ``None``.

    Returns:
        dict: group -> answer.
    """
    votes: Dict[Optional[str], Counter] = {}
    for entry in entries:
        answers = entry.get('answer')
        if not answers:
            continue
        answers = [answers] if isinstance(answers, str) else answers
        group = entry.get(key) if key else None
        votes.setdefault(group, Counter())[majority_answer(answers)] += 1
    return {g: c.most_common(1)[0][0] for g, c in votes.items()}


def mean_accuracy(accs: List[float]) -> float:
    """Percent, as the official ``setAccuracy`` (unrounded)."""
    return 100.0 * sum(accs) / len(accs) if accs else float('nan')
