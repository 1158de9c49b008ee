"""Visual question answering data in ALBEF's JSON format."""
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional

from semmim.registry import DATASETS
from .base_vl_dataset import BaseVLDataset
# registers ImageGroupedSampler, which the VQA training configs use
from .image_grouped_sampler import ImageGroupedSampler  # noqa: F401


def append_extra_fields(question: str, entry: dict,
                        extra_fields: Dict[str, str]) -> str:
    """The question followed by ``" <marker> tok tok ..."`` for each field
    of ``extra_fields`` (field -> marker) that ``entry`` has.

    A field holds a string or a list of strings; empty ones add nothing.
    """
    parts = [question]
    for field, marker in extra_fields.items():
        value = entry.get(field)
        if value is None:
            continue
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(
                isinstance(v, str) for v in value):
            raise ValueError(f'field {field!r} must be a string or a list '
                             'of strings')
        if value:
            parts.append(' '.join([marker] + value))
    return ' '.join(parts)


@DATASETS.register_module()
class VQADataset(BaseVLDataset):
    """VQA annotations: a JSON list of questions (ALBEF/mPLUG files, and
    Shapes-VL's ``vqa_{split}.json``)::

        {"question_id": 262148000, "question": "Where is he looking?",
         "answer": ["down", "down", ...], "image": "val2014/....jpg",
         "image_id": 262148,                        # optional
         "answer_type": "other", "question_type": "where is the",  # optional
         "dataset": "vqa",                          # optional, see below
         "objects": ["man", "skateboard"], "ocr": ["stop"]}  # optional

    Each question becomes one sample with

    * ``question``: the question, followed by the optional fields named in
      ``extra_fields`` (object labels, OCR tokens), each as
      ``" <marker> tok tok ..."``;
    * ``gt_answer`` / ``gt_answer_weight``: the distinct answers (in order
      of first appearance) and their weights ``count / #answers`` (count/10
      in VQA v2; ALBEF/mPLUG's training targets). An entry with a single
      answer (e.g. Visual Genome QA) gets ``single_answer_weight``;
    * ``annotator_answers``: the raw answers of all annotators, for the
      official accuracy (:class:`~semmim.evaluation.VQAMetric`);
    * ``question_id``, and ``image_id``, ``answer_type``,
      ``question_type`` when the entry has them.

    Training entries need ``answer``; test entries may lack it (test-dev),
    but then need ``question_id`` for the result file.

    Args:
        ann_file (str | Sequence[str]): Annotation file(s).
        extra_fields (dict, optional): Annotation fields to append to the
            question, mapped to the marker word that introduces them, e.g.
            ``dict(objects='objects', ocr='ocr')``. A field holds a string
            or a list of strings; entries without it append nothing.
            Defaults to None (question only).
        source_prefix (dict, optional): Image path prefix (relative to
            ``data_root``) per value of the entry's ``"dataset"`` field, for
            files that mix image sources (ALBEF: ``dict(vqa='coco/',
            vg='visual_genome/')``). Entries without the field use
            ``data_prefix``. Defaults to None.
        single_answer_weight (float): Weight of the answer of a
            single-answer entry (ALBEF uses 0.5 for Visual Genome).
            Defaults to 1.0.
        **kwargs: See :class:`BaseVLDataset`.
    """

    def __init__(self,
                 ann_file,
                 extra_fields: Optional[Dict[str, str]] = None,
                 source_prefix: Optional[Dict[str, str]] = None,
                 single_answer_weight: float = 1.0,
                 **kwargs):
        self.extra_fields = dict(extra_fields or {})
        self.source_prefix = dict(source_prefix or {})
        self.single_answer_weight = float(single_answer_weight)
        super().__init__(ann_file, **kwargs)

    def parse_entry(self, entry: dict, ann_file: str,
                    idx: int) -> Optional[dict]:
        image = self.require(entry, 'image', str, ann_file, idx)
        question = self.require(entry, 'question', str, ann_file, idx)
        if not question.strip():
            raise ValueError(f'{ann_file}: entry {idx}: field \'question\' '
                             'is empty')
        info = dict(
            img_path=self.entry_image_path(entry, image, ann_file, idx),
            question=self.question_text(question, entry, ann_file, idx))

        if 'question_id' in entry or self.test_mode:
            qid = self.require(entry, 'question_id', int, ann_file, idx)
            info['question_id'] = qid
        if 'answer' in entry or not self.test_mode:
            answers = self.require_text(entry, 'answer', ann_file, idx)
            answers = [answers] if isinstance(answers, str) else answers
            info.update(self.answer_targets(answers))
            info['annotator_answers'] = list(answers)
        for field in ('image_id', 'answer_type', 'question_type'):
            if entry.get(field) is not None:
                info[field] = entry[field]
        return info

    # ------------------------------------------------------------------
    def answer_targets(self, answers: List[str]) -> dict:
        """Distinct answers and their weights ``count / len(answers)``."""
        if len(answers) == 1:
            return dict(gt_answer=list(answers),
                        gt_answer_weight=[self.single_answer_weight])
        counts = Counter(answers)  # keeps first-appearance order
        return dict(
            gt_answer=list(counts),
            gt_answer_weight=[c / len(answers) for c in counts.values()])

    def question_text(self, question: str, entry: dict, ann_file: str,
                      idx: int) -> str:
        try:
            return append_extra_fields(question, entry, self.extra_fields)
        except ValueError as e:
            raise ValueError(f'{ann_file}: entry {idx}: {e}') from None

    def entry_image_path(self, entry: dict, image: str, ann_file: str,
                         idx: int) -> str:
        source = entry.get('dataset')
        if source is None or not self.source_prefix:
            return self.image_path(image)
        if source not in self.source_prefix:
            raise ValueError(
                f'{ann_file}: entry {idx}: dataset {source!r} has no image '
                f'prefix in source_prefix ({sorted(self.source_prefix)})')
        prefix = self.source_prefix[source]
        if self.data_root and not osp.isabs(prefix):
            prefix = osp.join(self.data_root, prefix)
        return osp.join(prefix, image)
