"""VQA accuracy as the official evaluation computes it, per answer type,
with baselines and the result file of the evaluation server."""
import json
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import mmengine
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from semmim.registry import METRICS
from ..vqa_eval import mean_accuracy, prior_answers, vqa_accuracy


def _key(name: str) -> str:
    """A metric-key-safe form of a type name ('yes/no' -> 'yes_no')."""
    return re.sub(r'\W+', '_', str(name)).strip('_').lower() or 'none'


def load_official_annotations(path: str) -> Dict[int, dict]:
    """Ground truth from an official VQA annotation file
    (``v2_mscoco_val2014_annotations.json`` format).

    Returns:
        dict: question id -> ``dict(answers=[10 str], answer_type=...,
        question_type=...)``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: VQA annotation file not found')
    with open(path, 'r', encoding='utf-8') as f:
        content = json.load(f)
    if not isinstance(content, dict) or 'annotations' not in content:
        raise ValueError(f'{path}: expected an official VQA annotation file '
                         '(an object with "annotations")')
    out = {}
    for i, ann in enumerate(content['annotations']):
        try:
            out[int(ann['question_id'])] = dict(
                answers=[a['answer'] for a in ann['answers']],
                answer_type=ann.get('answer_type'),
                question_type=ann.get('question_type'))
        except (KeyError, TypeError) as e:
            raise ValueError(f'{path}: annotation {i}: malformed ({e!r})') \
                from None
    return out


@METRICS.register_module()
class VQAMetric(BaseMetric):
    """Official VQA accuracy (see :mod:`semmim.evaluation.vqa_eval`).

    Reads ``pred_answer`` and ``question_id`` from each prediction, and the
    ground truth either from the data samples (``annotator_answers``: the
    raw answers of all annotators, ``answer_type``, ``question_type``; set by
    :class:`~semmim.datasets.VQADataset`) or, with ``gt_file``, from an
    official annotation file by question id. Questions without ground truth
    (test-dev, test-std) are only written to the result file.

    Reported (percent, unrounded; the official script rounds to 2 digits):

    * ``acc``: mean accuracy, and ``acc_<answer type>`` (``acc_yes_no``,
      ``acc_number``, ``acc_other`` on VQA v2);
    * ``acc_q_<question type>`` when ``per_question_type``;
    * with ``prior_file`` (a training annotation file in semmim's VQA
      format), two baselines of the VQA paper on the same questions:
      ``prior_acc`` / ``prior_acc_<type>``, always the most frequent
      training answer, and ``qtype_prior_acc`` / ``qtype_prior_acc_<type>``,
      the most frequent answer of the question's type (needs
      ``question_type``).

    Args:
        result_file (str, optional): Write the predictions here in the
            format of the evaluation server, ``[{"question_id": int,
            "answer": str}, ...]``. Defaults to None.
        gt_file (str, optional): Official annotation file to score against.
        prior_file (str, optional): Training annotations for the baselines.
        per_question_type (bool): Also report each question type.
            Defaults to False.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'vqa'.
    """

    default_prefix = 'vqa'

    def __init__(self,
                 result_file: Optional[str] = None,
                 gt_file: Optional[str] = None,
                 prior_file: Optional[str] = None,
                 per_question_type: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.result_file = result_file
        self.gt_file = gt_file
        self.prior_file = prior_file
        self.per_question_type = per_question_type
        self._gt: Optional[Dict[int, dict]] = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            if s.get('pred_answer') is None:
                raise KeyError('VQAMetric needs "pred_answer" in the '
                               'predictions')
            qid = s.get('question_id')
            self.results.append(
                dict(
                    question_id=None if qid is None else int(qid),
                    pred_answer=s['pred_answer'],
                    answers=s.get('annotator_answers'),
                    answer_type=s.get('answer_type'),
                    question_type=s.get('question_type')))

    # ------------------------------------------------------------------
    def write_result_file(self, results: List[dict]) -> None:
        if any(r['question_id'] is None for r in results):
            raise KeyError('writing a VQA result file needs "question_id" '
                           'in every data sample')
        mmengine.mkdir_or_exist(osp.dirname(osp.abspath(self.result_file)))
        with open(self.result_file, 'w', encoding='utf-8') as f:
            json.dump([
                dict(question_id=r['question_id'], answer=r['pred_answer'])
                for r in results
            ], f)
        MMLogger.get_current_instance().info(
            f'wrote {len(results)} VQA answers to {self.result_file}')

    def ground_truth(self, results: List[dict]) -> List[dict]:
        """Results that have ground truth, with it filled in."""
        if self.gt_file is None:
            return [r for r in results if r['answers']]
        if self._gt is None:
            self._gt = load_official_annotations(self.gt_file)
        scored = []
        for r in results:
            gt = self._gt.get(r['question_id'])
            if gt is not None:
                scored.append(dict(r, **gt))
        return scored

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if self.result_file:
            self.write_result_file(results)
        scored = self.ground_truth(results)
        logger = MMLogger.get_current_instance()
        if not scored:
            logger.info('VQAMetric: no ground-truth answers; accuracy not '
                        'computed')
            return {}
        if len(scored) < len(results):
            logger.warning(f'VQAMetric: {len(results) - len(scored)} of '
                           f'{len(results)} questions have no ground truth '
                           'and are not scored')
        metrics = self.accuracies(
            scored, [r['pred_answer'] for r in scored], 'acc',
            self.per_question_type)
        if self.prior_file:
            metrics.update(self.baselines(scored))
        logger.info('\n' + format_vqa_table(metrics))
        return metrics

    @staticmethod
    def accuracies(scored: List[dict], answers: List[str], name: str,
                   per_question_type: bool = False) -> Dict[str, float]:
        """Overall and per-type accuracy of ``answers`` on ``scored``."""
        accs = [vqa_accuracy(a, r['answers'])
                for a, r in zip(answers, scored)]
        out = {name: mean_accuracy(accs)}
        groups = [('answer_type', '')]
        if per_question_type:
            groups.append(('question_type', 'q_'))
        for field, tag in groups:
            by_type = defaultdict(list)
            for acc, r in zip(accs, scored):
                if r.get(field) is not None:
                    by_type[r[field]].append(acc)
            for t in sorted(by_type):
                out[f'{name}_{tag}{_key(t)}'] = mean_accuracy(by_type[t])
        return out

    def baselines(self, scored: List[dict]) -> Dict[str, float]:
        with open(self.prior_file, 'r', encoding='utf-8') as f:
            train = json.load(f)
        overall = prior_answers(train)[None]
        out = self.accuracies(scored, [overall] * len(scored), 'prior_acc')
        if all(r.get('question_type') is not None for r in scored):
            by_type = prior_answers(train, 'question_type')
            answers = [by_type.get(r['question_type'], overall)
                       for r in scored]
            out.update(self.accuracies(scored, answers, 'qtype_prior_acc'))
        return out


def format_vqa_table(metrics: Dict[str, float]) -> str:
    """Accuracy per answer type of the model and the baselines, as text."""
    rows = [('model', 'acc'), ('most frequent answer', 'prior_acc'),
            ('per-question-type prior', 'qtype_prior_acc')]

    def get(key):
        for k, v in metrics.items():
            if k == key or k.endswith('/' + key):
                return v
        return None

    types = sorted({
        k.rsplit('/', 1)[-1][len('acc_'):]
        for k in metrics if k.rsplit('/', 1)[-1].startswith('acc_')
        and not k.rsplit('/', 1)[-1].startswith('acc_q_')
    })
    lines = ['VQA accuracy (official, percent):',
             f'{"":26}{"overall":>10}' + ''.join(f'{t:>10}' for t in types)]
    for label, name in rows:
        overall = get(name)
        if overall is None:
            continue
        cells = [get(f'{name}_{t}') for t in types]
        lines.append(f'{label:<26}{overall:>10.2f}' + ''.join(
            f'{c:>10.2f}' if c is not None else f'{"-":>10}' for c in cells))
    return '\n'.join(lines)
