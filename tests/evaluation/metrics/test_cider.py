import json
import random

import numpy as np
import pytest
from pycocoevalcap.cider.cider import Cider

from semmim.evaluation.metrics.cider import CiderD, caption_words

WORDS = ('a red blue green big small circle square star cross on the left '
         'right of above below two three shapes and is').split()


def random_captions(rng, n):
    return [' '.join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            for _ in range(n)]


def test_equals_pycocoevalcap_cider_on_the_same_references():
    rng = random.Random(0)
    gts = {i: random_captions(rng, 5) for i in range(30)}
    res = {i: random_captions(rng, 1) for i in range(30)}
    # near-copies of references make high scores likely too
    for i in range(0, 30, 3):
        res[i] = [gts[i][0]]
    mean, per_image = Cider().compute_score(gts, res)
    ours = CiderD().compute_score([res[i][0] for i in range(30)],
                                  [gts[i] for i in range(30)])
    np.testing.assert_allclose(ours, per_image, rtol=1e-10, atol=1e-12)
    assert ours.mean() == pytest.approx(mean)
    # the same with the references as a fixed corpus
    fixed = CiderD(corpus=[gts[i] for i in range(30)])
    np.testing.assert_allclose(
        fixed.compute_score([res[i][0] for i in range(30)],
                            [gts[i] for i in range(30)]), per_image)


def test_shared_reference_lists_count_once_as_documents():
    """K candidates of one image share its references: one document."""
    rng = random.Random(1)
    refs = [random_captions(rng, 5) for _ in range(4)]
    cands = random_captions(rng, 8)
    shared = [refs[i // 2] for i in range(8)]  # 2 candidates per image
    ours = CiderD().compute_score(cands, shared)
    np.testing.assert_allclose(ours, CiderD(corpus=refs).compute_score(
        cands, shared))


def test_hand_worked_scores():
    corpus = [['a red circle on the left'], ['two blue squares above']]
    cider = CiderD(corpus=corpus)
    # identical to the single reference, all n-grams informative: 10
    assert cider.compute_score(['a red circle on the left'],
                               [['a red circle on the left']])[0] == \
        pytest.approx(10.0)
    # nothing in common: 0
    assert cider.compute_score(['green star'], [corpus[0]])[0] == 0.0
    # n-grams in every document carry no information (idf 0)
    both = CiderD(corpus=[['a cat'], ['a cat']])
    assert both.compute_score(['a cat'], [['a cat']])[0] == 0.0


def test_corpus_from_annotation_files(tmp_path):
    karpathy = [dict(image='0.png', caption='A red circle.', image_id=0),
                dict(image='0.png', caption='a red disk', image_id=0),
                dict(image='1.png', caption='a blue square', image_id=1)]
    p = tmp_path / 'train.json'
    p.write_text(json.dumps(karpathy))
    cider = CiderD.from_annotations(str(p))
    assert cider.log_num_docs == pytest.approx(np.log(2))
    assert cider.doc_freq[('a', )] == 2  # per image, not per caption
    assert cider.doc_freq[('red', )] == 1
    coco = dict(images=[dict(id=0), dict(id=1)], annotations=[
        dict(image_id=0, caption='a red circle'),
        dict(image_id=0, caption='a red disk'),
        dict(image_id=1, caption='a blue square')])
    p2 = tmp_path / 'gt.json'
    p2.write_text(json.dumps(coco))
    assert CiderD.from_annotations(str(p2)).doc_freq == cider.doc_freq


def test_caption_words_cleans_like_precaption():
    assert caption_words('A Red, circle. ') == ['a', 'red', 'circle']
