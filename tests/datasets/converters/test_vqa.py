"""VQA v2 + Visual Genome QA converter on tiny official-format files."""
import json

import pytest

from semmim.datasets import VQADataset
from semmim.datasets.converters import (ConversionError, build_answer_list,
                                        convert_vqa_v2)


def questions(tmp_path, subtype, qs):
    path = tmp_path / f'v2_OpenEnded_mscoco_{subtype}_questions.json'
    path.write_text(json.dumps(dict(
        info={}, task_type='Open-Ended', data_type='mscoco',
        license={}, data_subtype=subtype,
        questions=[dict(image_id=i, question=q, question_id=qid)
                   for qid, i, q in qs])))
    return str(path)


def annotations(tmp_path, subtype, anns):
    path = tmp_path / f'v2_mscoco_{subtype}_annotations.json'
    path.write_text(json.dumps(dict(
        info={}, license={}, data_subtype=subtype, annotations=[
            dict(question_type=qt, multiple_choice_answer=answers[0],
                 answers=[dict(answer=a, answer_confidence='yes',
                               answer_id=k + 1)
                          for k, a in enumerate(answers)],
                 image_id=qid // 1000, answer_type=at, question_id=qid)
            for qid, qt, at, answers in anns])))
    return str(path)


def vg_files(tmp_path, qas):
    image_data = tmp_path / 'image_data.json'
    image_data.write_text(json.dumps([
        dict(width=800, height=600, image_id=1, coco_id=None,
             flickr_id=None,
             url='https://cs.stanford.edu/people/rak248/VG_100K_2/1.jpg'),
        dict(width=800, height=600, image_id=2, coco_id=391895,
             flickr_id=None,
             url='https://cs.stanford.edu/people/rak248/VG_100K/2.jpg')]))
    qa = tmp_path / 'question_answers.json'
    qa.write_text(json.dumps([
        dict(id=image_id, qas=[
            dict(a_objects=[], question=q, image_id=image_id, qa_id=qa_id,
                 answer=a, q_objects=[]) for qa_id, q, a in items])
        for image_id, items in qas]))
    return str(qa), str(image_data)


TRAIN_Q = [(458752000, 458752, 'What is this photo taken looking through?'),
           (458752001, 458752, 'What position is this man playing?')]
TRAIN_A = [(458752000, 'what is this', 'other', ['net'] * 9 + ['netting']),
           (458752001, 'what position', 'other',
            ['pitcher'] * 6 + ['catcher'] * 4)]
VAL_Q = [(262148000, 262148, 'Where is he looking?')]
VAL_A = [(262148000, 'none of the above', 'other',
          ['down'] * 7 + ['at table'] * 3)]


def test_vqa_v2_and_vg_qa_read_by_vqa_dataset(tmp_path):
    out = tmp_path / 'data' / 'vqa' / 'annotations'
    qa, image_data = vg_files(tmp_path, [
        (1, [(986768, 'What color is the clock?', 'Green.'),
             (986769, 'What is on the pole?', 'A clock.')])])
    val_ann = annotations(tmp_path, 'val2014', VAL_A)
    report = convert_vqa_v2(
        [questions(tmp_path, 'train2014', TRAIN_Q),
         questions(tmp_path, 'val2014', VAL_Q),
         questions(tmp_path, 'test-dev2015',
                   [(1000, 1, 'Is it raining?')])],
        [annotations(tmp_path, 'train2014', TRAIN_A), val_ann],
        str(out), answer_min_count=1, vg_qa=qa, vg_image_data=image_data,
        show_progress=False)
    train = json.loads((out / 'vqa_train.json').read_text())
    assert train[0] == dict(
        question_id=458752000,
        question='What is this photo taken looking through?',
        image='train2014/COCO_train2014_000000458752.jpg',
        image_id=458752, dataset='vqa', answer=['net'] * 9 + ['netting'],
        answer_type='other', question_type='what is this')
    test = json.loads((out / 'vqa_test-dev.json').read_text())
    assert test == [dict(question_id=1000, question='Is it raining?',
                         image='test2015/COCO_test2015_000000000001.jpg',
                         image_id=1, dataset='vqa')]
    vg = json.loads((out / 'vg_qa.json').read_text())
    assert vg[0] == dict(qa_id=986768,
                         question='What color is the clock?',
                         answer='green', image='VG_100K_2/1.jpg',
                         image_id=1, dataset='vg')
    assert vg[1]['answer'] == 'a clock'
    # most frequent first, official normalisation ("a clock" -> "clock")
    assert json.loads((out / 'answer_list.json').read_text()) == [
        'down', 'net', 'pitcher']
    assert json.loads((out / 'v2_mscoco_val2014_annotations.json'
                       ).read_text()) == json.loads(open(val_ann).read())
    # the files read with the VQA v2 config's dataset arguments
    data_root = str(tmp_path / 'data' / 'vqa')
    ds = VQADataset(['annotations/vqa_train.json', 'annotations/vg_qa.json'],
                    data_root=data_root, single_answer_weight=0.5,
                    source_prefix=dict(vqa='images/coco/', vg='images/vg/'))
    assert ds[0]['gt_answer'] == ['net', 'netting']
    assert ds[0]['gt_answer_weight'] == pytest.approx([0.9, 0.1])
    assert ds[0]['img_path'] == (f'{data_root}/images/coco/train2014/'
                                 'COCO_train2014_000000458752.jpg')
    assert ds[2]['img_path'] == f'{data_root}/images/vg/VG_100K_2/1.jpg'
    assert ds[2]['gt_answer_weight'] == [0.5]
    ds = VQADataset('annotations/vqa_test-dev.json', data_root=data_root,
                    test_mode=True)
    assert ds[0]['question_id'] == 1000
    text = report.summary()
    assert 'vqa_train.json: 2 entries, 1 images, 2 questions' in text
    assert 'vg_qa.json: 2 entries, 1 images, 2 questions' in text


def test_vqa_v2_malformed_and_unmatched(tmp_path):
    q = questions(tmp_path, 'train2014', TRAIN_Q + [(5, 5, ' ')])
    a = annotations(tmp_path, 'train2014', TRAIN_A)
    content = json.loads(open(a).read())
    content['annotations'][1]['answers'][2] = dict(answer_id=3)
    content['annotations'].append(dict(content['annotations'][0],
                                       question_id=77))
    open(a, 'w').write(json.dumps(content))
    out = str(tmp_path / 'out')
    with pytest.raises(ConversionError) as e:
        convert_vqa_v2([q], [a], out, show_progress=False)
    assert str(e.value) == (f"{a}: annotations[1].answers[2]: missing field "
                            "'answer'")
    report = convert_vqa_v2([q], [a], out, strict=False,
                            show_progress=False)
    # question 1 (malformed annotation) and question 2 (empty text) are
    # counted once each; annotation 77 has no question
    assert report.skipped == {
        "malformed: missing field 'answer'": 1,
        "malformed: empty 'question'": 1,
        'annotations of questions not in the question file': 1}
    train = json.loads(open(f'{out}/vqa_train.json').read())
    assert [t['question_id'] for t in train] == [458752000]
    # a question without its annotation in an annotated split
    a = annotations(tmp_path, 'train2014', TRAIN_A[:1])
    with pytest.raises(ConversionError,
                       match="questions\\[1\\]: field 'question_id' "
                       '458752001 has no annotation'):
        convert_vqa_v2([q], [a], out, show_progress=False)
    bad = tmp_path / 'q.json'
    bad.write_text(json.dumps(dict(data_subtype='train2015', questions=[])))
    with pytest.raises(ConversionError, match="'data_subtype' is 'train2015'"):
        convert_vqa_v2([str(bad)], [], out, show_progress=False)


def test_vg_qa_malformed_and_answer_filter(tmp_path):
    qa, image_data = vg_files(tmp_path, [
        (2, [(1, 'What is it?', 'Down.'), (2, 'Who?', 'Nobody at all.'),
             (3, 'Why?', '.')]),
        (99, [(4, 'What?', 'x')])])
    q = questions(tmp_path, 'val2014', VAL_Q)
    a = annotations(tmp_path, 'val2014', VAL_A)
    with pytest.raises(ConversionError,
                       match=r"entry 0.qas\[2\]: field 'answer' is only a"):
        convert_vqa_v2([q], [a], str(tmp_path / 'o'), vg_qa=qa,
                       vg_image_data=image_data, show_progress=False)
    report = convert_vqa_v2([q], [a], str(tmp_path / 'o'),
                            answer_min_count=1, vg_qa=qa,
                            vg_image_data=image_data,
                            vg_listed_answers_only=True, strict=False,
                            show_progress=False)
    vg = json.loads((tmp_path / 'o' / 'vg_qa.json').read_text())
    assert [(v['answer'], v['image']) for v in vg] == [('down',
                                                        'VG_100K/2.jpg')]
    assert report.skipped == {
        "malformed: empty 'answer'": 1,
        'malformed: image not in image_data.json': 1,
        'VG questions whose answer is not in the answer list': 1}


def test_answer_list_frequency_and_normalisation():
    anns = ([dict(multiple_choice_answer='Two')] * 3
            + [dict(multiple_choice_answer='2')] * 2
            + [dict(multiple_choice_answer='yes')] * 4
            + [dict(multiple_choice_answer='a dog')] * 4
            + [dict(multiple_choice_answer='cat')])
    assert build_answer_list(anns, min_count=2) == ['2', 'dog', 'yes']
    assert build_answer_list(anns, min_count=5) == ['2']
