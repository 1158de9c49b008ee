import json

import pytest
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample

from semmim.evaluation.metrics.vqa_metric import VQAMetric, format_vqa_table


def sample(qid, pred, answers=None, answer_type=None, question_type=None):
    s = DataSample(question_id=qid, pred_answer=pred)
    if answers is not None:
        s.set_field(answers, 'annotator_answers')
    if answer_type is not None:
        s.set_field(answer_type, 'answer_type')
    if question_type is not None:
        s.set_field(question_type, 'question_type')
    return s


SAMPLES = [
    # yes/no: 10 matches -> 1.0
    (1, 'yes', ['yes'] * 10, 'yes/no', 'is the'),
    # yes/no: 1 match -> 0.3
    (2, 'yes', ['yes'] + ['no'] * 9, 'yes/no', 'is the'),
    # number: "two" against 3 x "2" -> 0.9
    (3, 'two', ['2'] * 3 + ['3'] * 7, 'number', 'how many'),
    # other: wrong -> 0
    (4, 'red', ['blue'] * 10, 'other', 'what color is the'),
]


def run(metric, samples):
    evaluator = Evaluator(metric)
    evaluator.process([sample(*s) for s in samples])
    return evaluator.evaluate(len(samples))


def test_overall_and_per_answer_type():
    metrics = run(VQAMetric(per_question_type=True), SAMPLES)
    assert metrics['vqa/acc'] == pytest.approx(100 * (1 + .3 + .9 + 0) / 4)
    assert metrics['vqa/acc_yes_no'] == pytest.approx(65.0)
    assert metrics['vqa/acc_number'] == pytest.approx(90.0)
    assert metrics['vqa/acc_other'] == pytest.approx(0.0)
    assert metrics['vqa/acc_q_is_the'] == pytest.approx(65.0)
    assert metrics['vqa/acc_q_what_color_is_the'] == pytest.approx(0.0)


def test_result_file_in_submission_format(tmp_path):
    out = tmp_path / 'sub' / 'vqa_test-dev_results.json'
    # test-dev: no answers; only the file is written
    metrics = run(VQAMetric(result_file=str(out)),
                  [(7, 'yes'), (8, '2')])
    assert metrics == {}
    content = json.loads(out.read_text())
    assert content == [{'question_id': 7, 'answer': 'yes'},
                       {'question_id': 8, 'answer': '2'}]
    assert all(type(r['question_id']) is int for r in content)


def test_ground_truth_from_official_annotation_file(tmp_path):
    ann = dict(annotations=[
        dict(question_id=qid, answer_type=t, question_type=q,
             answers=[dict(answer=a, answer_id=i + 1)
                      for i, a in enumerate(gt)])
        for qid, _, gt, t, q in SAMPLES
    ])
    path = tmp_path / 'v2_annotations.json'
    path.write_text(json.dumps(ann))
    metrics = run(VQAMetric(gt_file=str(path)),
                  [(qid, pred) for qid, pred, *_ in SAMPLES])
    assert metrics['vqa/acc'] == pytest.approx(55.0)
    assert metrics['vqa/acc_number'] == pytest.approx(90.0)


def test_baselines_from_training_annotations(tmp_path):
    train = [dict(answer=['yes'] * 10, question_type='is the'),
             dict(answer=['yes'] * 10, question_type='is the'),
             dict(answer=['2'] * 10, question_type='how many'),
             dict(answer=['blue'] * 10, question_type='what color is the')]
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(train))
    metrics = run(VQAMetric(prior_file=str(path)), SAMPLES)
    # always "yes": 1.0, 0.3, 0, 0
    assert metrics['vqa/prior_acc'] == pytest.approx(32.5)
    assert metrics['vqa/prior_acc_yes_no'] == pytest.approx(65.0)
    # per type: "yes", "yes", "2" (0.9), "blue" (1.0)
    assert metrics['vqa/qtype_prior_acc'] == pytest.approx(80.0)
    table = format_vqa_table(metrics)
    assert 'most frequent answer' in table and '32.50' in table


def test_missing_prediction_is_a_clear_error():
    metric = VQAMetric()
    with pytest.raises(KeyError, match='pred_answer'):
        metric.process(None, [dict(question_id=1)])
