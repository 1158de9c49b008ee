"""VQA v2 and Visual Genome QA.

VQA v2's official files (https://visualqa.org/download.html)::

    v2_OpenEnded_mscoco_train2014_questions.json
        {"data_subtype": "train2014", "questions": [
            {"image_id": 458752, "question": "What is this photo taken
             looking through?", "question_id": 458752000}, ...], ...}
    v2_mscoco_train2014_annotations.json
        {"data_subtype": "train2014", "annotations": [
            {"question_id": 458752000, "image_id": 458752,
             "question_type": "what is this", "answer_type": "other",
             "multiple_choice_answer": "net",
             "answers": [{"answer": "net", "answer_confidence": "maybe",
                          "answer_id": 1}, ...]}, ...]}

Visual Genome's ``question_answers.json`` (https://homes.cs.washington.edu
/~ranjay/visualgenome/api.html)::

    [{"id": 1, "qas": [{"qa_id": 986768, "image_id": 1,
                        "question": "What color is the clock?",
                        "answer": "Green.", "a_objects": [],
                        "q_objects": []}, ...]}, ...]

become ALBEF's question files (``vqa_{train,val,test}.json``,
``vg_qa.json``) and answer list, read by ``VQADataset``.
"""
import os
import os.path as osp
import shutil
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from semmim.evaluation.vqa_eval import normalize_answer
from .json_io import (JsonListWriter, dump_json, field, iter_json_array,
                      load_json, text_field)
from .report import ConversionError, ConversionReport, progress, where
from .visual_genome import read_vg_image_paths

# output name per VQA v2 data subtype; test-dev's images are test2015's
VQA_SPLITS = {
    'train2014': ('vqa_train.json', 'train2014'),
    'val2014': ('vqa_val.json', 'val2014'),
    'test2015': ('vqa_test.json', 'test2015'),
    'test-dev2015': ('vqa_test-dev.json', 'test2015'),
}


def _subtype(content: dict, path: str, key: str) -> str:
    if not isinstance(content, dict) or not isinstance(content.get(key),
                                                       list):
        raise ConversionError(f'{path}: expected an official VQA v2 file, an '
                              f'object with a "{key}" list')
    subtype = content.get('data_subtype')
    if subtype not in VQA_SPLITS:
        raise ConversionError(
            f'{path}: field \'data_subtype\' is {subtype!r}, expected one of '
            f'{sorted(VQA_SPLITS)}')
    return subtype


def _read_annotations(path: str, report: ConversionReport
                      ) -> Tuple[str, Dict[int, dict]]:
    content = load_json(path)
    subtype = _subtype(content, path, 'annotations')
    anns = {}
    for i, ann in enumerate(content['annotations']):
        entry = f'annotations[{i}]'
        try:
            qid = field(ann, 'question_id', int, path, entry)
            answers = field(ann, 'answers', list, path, entry)
            if not answers:
                raise ConversionError(f'{where(path, entry, "answers")} is '
                                      'empty', "empty 'answers'")
            raw = [text_field(a, 'answer', path, f'{entry}.answers[{j}]')
                   for j, a in enumerate(answers)]
            info = dict(answer=raw)
            for key in ('answer_type', 'question_type',
                        'multiple_choice_answer'):
                if key in ann:
                    info[key] = field(ann, key, str, path, entry)
        except ConversionError as e:
            report.bad(e)
            # its question is then left out without a second count
            qid = ann.get('question_id') if isinstance(ann, dict) else None
            if isinstance(qid, int):
                anns[qid] = None
            continue
        anns[qid] = info
    return subtype, anns


def build_answer_list(annotations: Iterable[dict],
                      min_count: int = 9) -> List[str]:
    """The frequent answers: each question's ``multiple_choice_answer``
    (the most common of its 10), normalised as the official evaluation
    does, kept when it occurs at least ``min_count`` times; most frequent
    first, ties alphabetical. ``min_count=9`` on train+val is the
    bottom-up-attention recipe that gives the ~3.1K answers of ALBEF's
    ``answer_list.json``."""
    counts = Counter(normalize_answer(a['multiple_choice_answer'])
                     for a in annotations if a.get('multiple_choice_answer'))
    counts.pop('', None)
    return [a for a, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
            if n >= min_count]


def convert_vqa_v2(questions: Sequence[str],
                   annotations: Sequence[str] = (),
                   out_dir: str = 'data/vqa/annotations',
                   answer_min_count: int = 9,
                   vg_qa: Optional[str] = None,
                   vg_image_data: Optional[str] = None,
                   vg_listed_answers_only: bool = False,
                   strict: bool = True,
                   show_progress: bool = True) -> ConversionReport:
    """Convert VQA v2 question/annotation files (and Visual Genome QA).

    Writes into ``out_dir``:

    * per question file, by its ``data_subtype``: ``vqa_train.json``
      (train2014), ``vqa_val.json`` (val2014), ``vqa_test.json`` (test2015),
      ``vqa_test-dev.json`` (test-dev2015); entries ``{"question_id",
      "question", "image": "train2014/COCO_train2014_000000458752.jpg",
      "image_id", "dataset": "vqa"}`` plus, when the split's annotation
      file is given, ``"answer"`` (the 10 raw answers), ``"answer_type"``
      and ``"question_type"``;
    * ``answer_list.json`` from the annotated splits (see
      :func:`build_answer_list`);
    * a copy of ``v2_mscoco_val2014_annotations.json`` when given (the
      metric's ``gt_file``);
    * with ``vg_qa`` and ``vg_image_data``: ``vg_qa.json``, entries
      ``{"qa_id", "question", "answer": "green", "image":
      "VG_100K/1.jpg", "image_id", "dataset": "vg"}`` (answers lower-cased,
      final period dropped; with ``vg_listed_answers_only`` only those whose
      normalised answer is in the answer list).

    Returns:
        ConversionReport: The counts.
    """
    report = ConversionReport('VQA v2' + (' + Visual Genome QA'
                                          if vg_qa else ''), strict)
    by_subtype = {}
    for path in annotations:
        subtype, anns = _read_annotations(path, report)
        if subtype in by_subtype:
            raise ConversionError(f'{path}: a second annotation file for '
                                  f'{subtype}')
        by_subtype[subtype] = (path, anns)
        if subtype == 'val2014':
            # the metric's gt_file for local val scores
            out = osp.join(out_dir, osp.basename(path))
            if osp.abspath(out) != osp.abspath(path):
                os.makedirs(out_dir, exist_ok=True)
                shutil.copyfile(path, out)
                report.note(f'copied {path} to {out}')
    seen_subtypes = set()
    for path in questions:
        content = load_json(path)
        subtype = _subtype(content, path, 'questions')
        if subtype in seen_subtypes:
            raise ConversionError(f'{path}: a second question file for '
                                  f'{subtype}')
        seen_subtypes.add(subtype)
        name, folder = VQA_SPLITS[subtype]
        ann_path, anns = by_subtype.get(subtype, (None, None))
        out = osp.join(out_dir, name)
        used = set()
        with JsonListWriter(out) as writer:
            for i, q in enumerate(progress(content['questions'],
                                           f'VQA {subtype}', show_progress)):
                entry = f'questions[{i}]'
                try:
                    qid = field(q, 'question_id', int, path, entry)
                    image_id = field(q, 'image_id', int, path, entry)
                    question = text_field(q, 'question', path, entry)
                    if anns is not None and qid not in anns:
                        raise ConversionError(
                            f'{where(path, entry, "question_id")} {qid} has '
                            f'no annotation in {ann_path}',
                            'question without annotation')
                except ConversionError as e:
                    report.bad(e)
                    continue
                image = f'{folder}/COCO_{folder}_{image_id:012d}.jpg'
                out_entry = dict(question_id=qid, question=question,
                                 image=image, image_id=image_id,
                                 dataset='vqa')
                if anns is not None:
                    ann = anns[qid]
                    used.add(qid)
                    if ann is None:  # malformed, counted when read
                        continue
                    out_entry['answer'] = ann['answer']
                    for key in ('answer_type', 'question_type'):
                        if key in ann:
                            out_entry[key] = ann[key]
                writer.write(out_entry)
                report.add(out, image, questions=1)
        if anns is not None:
            orphans = len(set(anns) - used)
            if orphans:
                report.skip('annotations of questions not in the question '
                            'file', f'{ann_path}: {orphans} annotations',
                            count=orphans)
    missing = set(by_subtype) - seen_subtypes
    for subtype in sorted(missing):
        path, anns = by_subtype[subtype]
        report.note(f'{path}: annotations of {subtype} given without its '
                    'question file: only used for the answer list')
    if by_subtype:
        answers = build_answer_list(
            (a for _, anns in by_subtype.values() for a in anns.values()
             if a is not None), answer_min_count)
        out = osp.join(out_dir, 'answer_list.json')
        dump_json(answers, out)
        report.add(out)
        report.note(f'answer list: {len(answers):,} answers occurring at '
                    f'least {answer_min_count} times in '
                    f'{", ".join(sorted(by_subtype))}')
    else:
        answers = None
    if vg_qa:
        if not vg_image_data:
            raise ValueError('Visual Genome QA needs image_data.json for the '
                             'image paths (--vg-image-data)')
        listed = None
        if vg_listed_answers_only:
            if answers is None:
                raise ValueError('--vg-listed-answers-only needs the VQA '
                                 'annotation files for the answer list')
            listed = set(answers)
        _convert_vg_qa(vg_qa, vg_image_data, osp.join(out_dir, 'vg_qa.json'),
                       listed, report, show_progress)
    return report


def clean_vg_answer(answer: str) -> str:
    """``"Green."`` -> ``"green"``: VG answers are sentences; VQA's are
    lower case without the final period."""
    answer = answer.strip().lower()
    return answer[:-1].rstrip() if answer.endswith('.') else answer


def _convert_vg_qa(path: str, image_data: str, out: str,
                   listed: Optional[set], report: ConversionReport,
                   show_progress: bool) -> None:
    images = read_vg_image_paths(image_data, report)
    with JsonListWriter(out) as writer:
        for i, img in enumerate(progress(iter_json_array(path), 'VG QA',
                                         show_progress, unit='image')):
            try:
                image_id = field(img, 'id', int, path, i)
                qas = field(img, 'qas', list, path, i)
                if image_id not in images:
                    raise ConversionError(
                        f'{where(path, i, "id")} {image_id} is not in '
                        f'{image_data}', 'image not in image_data.json')
            except ConversionError as e:
                report.bad(e)
                continue
            for j, qa in enumerate(qas):
                entry = f'entry {i}.qas[{j}]'
                try:
                    question = text_field(qa, 'question', path, entry)
                    answer = clean_vg_answer(
                        text_field(qa, 'answer', path, entry))
                    qa_id = field(qa, 'qa_id', int, path, entry)
                    if not answer:
                        raise ConversionError(
                            f'{where(path, entry, "answer")} is only a '
                            'period', "empty 'answer'")
                except ConversionError as e:
                    report.bad(e)
                    continue
                if listed is not None and normalize_answer(
                        answer) not in listed:
                    report.skip('VG questions whose answer is not in the '
                                'answer list')
                    continue
                # VG's qa_id under its own name: its numbers can equal VQA
                # question ids, which the samples carry
                writer.write(dict(qa_id=qa_id, question=question,
                                  answer=answer, image=images[image_id],
                                  image_id=image_id, dataset='vg'))
                report.add(out, images[image_id], questions=1)
