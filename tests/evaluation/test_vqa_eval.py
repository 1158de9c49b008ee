"""The official VQA accuracy rules, on hand-worked cases."""
import pytest

from semmim.evaluation.vqa_eval import (normalize_answer, prior_answers,
                                        process_digit_article,
                                        process_punctuation, vqa_accuracy)


def answers(match, n_match, other='dog'):
    return [match] * n_match + [other] * (10 - n_match)


@pytest.mark.parametrize('n_match, expected', [
    (0, 0.0),
    # leave-one-out: the matching annotator left out -> 0 matches (1 of
    # 10 subsets); otherwise 1 match -> 1/3 (9 subsets): 9/10 * 1/3
    (1, 0.3),
    # 2 subsets with 1 match, 8 with 2: (2/3 + 16/3) / 10
    (2, 0.6),
    # 3 subsets with 2 matches (2/3), 7 with 3 (1): (2 + 7) / 10
    (3, 0.9),
    (4, 1.0),
    (10, 1.0),
])
def test_leave_one_annotator_out(n_match, expected):
    assert vqa_accuracy('cat', answers('cat', n_match)) == \
        pytest.approx(expected)


def test_one_match_differs_from_mmpretrain_simplified_formula():
    from mmpretrain.evaluation import VQAAcc
    gt = answers('cat', 1)
    simplified = VQAAcc()
    simplified.process(None, [dict(pred_answer='cat', gt_answer=gt)])
    assert simplified.compute_metrics(simplified.results)['acc'] == \
        pytest.approx(100 / 3)
    assert 100 * vqa_accuracy('cat', gt) == pytest.approx(30.0)


def test_normalisation_only_when_annotators_disagree():
    # all ten agree: raw comparison after stripping whitespace
    assert vqa_accuracy(' yes\n', ['yes'] * 10) == 1.0
    assert vqa_accuracy('Yes', ['yes'] * 10) == 0.0
    assert vqa_accuracy('yes.', ['yes'] * 10) == 0.0
    # they disagree: both sides normalised
    assert vqa_accuracy('Yes.', ['yes'] * 9 + ['no']) == 1.0
    # number words and digits merge; "none" counts as zero
    assert vqa_accuracy('Two', ['two'] * 5 + ['2'] * 5) == 1.0
    assert vqa_accuracy('0', ['none'] * 3 + ['1'] * 7) == \
        pytest.approx(0.9)
    # articles dropped: "the dog" == "a dog" == "dog"
    assert vqa_accuracy('the dog', ['a dog'] * 3 + ['cat'] * 7) == \
        pytest.approx(0.9)


@pytest.mark.parametrize('text, expected', [
    ('hello,world', 'hello world'),     # not next to a space: a space
    ('hello, world', 'hello world'),    # next to a space: removed
    ('1,000', '1000'),                  # digit comma: all marks removed
    ('left-side', 'left side'),
    ('what?', 'what'),                  # at the end: no space around
    ('dr. who', 'dr who'),              # periods go...
    ('2.5', '2.5'),                     # ...unless a digit follows
    ('yes.', 'yes'),
])
def test_punctuation(text, expected):
    assert process_digit_article(process_punctuation(text)) == expected


@pytest.mark.parametrize('text, expected', [
    ('A Red Car', 'red car'),
    ('an apple', 'apple'),
    ('three', '3'),
    ('ten dogs', '10 dogs'),
    ('dont', "don't"),
    ('isnt it', "isn't it"),
    ('Im', 'im'),  # lower-cased before the (case-sensitive) table
])
def test_digit_article(text, expected):
    assert process_digit_article(text) == expected


def test_normalize_answer_chain():
    assert normalize_answer('\tThe Two Dogs!\n') == '2 dogs'


def test_prior_answers():
    train = [
        dict(answer=['yes'] * 6 + ['no'] * 4, question_type='is'),
        dict(answer=['no'] * 10, question_type='is'),
        dict(answer=['no'] * 10, question_type='is'),
        dict(answer=['2'] * 5 + ['two'] * 5, question_type='how many'),
        dict(answer='red', question_type='what color'),
    ]
    assert prior_answers(train) == {None: 'no'}
    assert prior_answers(train, 'question_type') == {
        'is': 'no', 'how many': '2', 'what color': 'red'}


def test_no_ground_truth_is_an_error():
    with pytest.raises(ValueError, match='ground-truth'):
        vqa_accuracy('x', [])
