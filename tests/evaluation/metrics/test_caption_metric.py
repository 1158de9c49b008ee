import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest

from semmim.evaluation.metrics import caption_metric as cm
from semmim.evaluation.metrics import coco_eval_tools as tools
from semmim.registry import METRICS

HAS_JAVA = tools.java_available()
needs_java = pytest.mark.skipif(not HAS_JAVA, reason='no java on the PATH')

REFS = {
    1: ['a red circle on the left', 'a small red circle',
        'there is a red circle'],
    2: ['two blue squares above a star', 'blue squares and a star',
        'a star below two squares'],
    3: ['a green triangle in the corner', 'a big green triangle',
        'one green triangle'],
    4: ['a yellow cross', 'a yellow plus sign on the right',
        'a cross that is yellow'],
}
DOMAINS = {1: 'in-domain', 2: 'in-domain', 3: 'out-domain',
           4: 'out-domain'}


def write_gt(path, refs=REFS, domains=None):
    images = [dict(id=i, file_name=f'{i}.png') for i in refs]
    if domains:
        for img in images:
            img['domain'] = domains[img['id']]
    anns = [dict(image_id=i, id=10 * i + k, caption=c)
            for i, caps in refs.items() for k, c in enumerate(caps)]
    path.write_text(json.dumps(dict(images=images, annotations=anns)))
    return str(path)


@pytest.fixture
def no_java(monkeypatch):
    monkeypatch.setattr(tools, 'java_available', lambda: False)
    tools._reported.clear()


def run_metric(metric, preds, domains=None):
    samples = [dict(image_id=i, pred_caption=c,
                    **({'domain': domains[i]} if domains else {}))
               for i, c in preds.items()]
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def test_hand_worked_scores(tmp_path, no_java):
    metric = METRICS.build(dict(type='COCOCaptionMetric',
                                ann_file=write_gt(tmp_path / 'gt.json')))
    # every prediction is one of its references: BLEU 100, ROUGE-L 100
    perfect = run_metric(metric, {i: r[0] for i, r in REFS.items()})
    for k in ('BLEU_1', 'BLEU_2', 'BLEU_3', 'BLEU_4', 'ROUGE_L'):
        assert perfect[k] == pytest.approx(100.0)
    assert 'METEOR' not in perfect and 'SPICE' not in perfect
    metric.results.clear()
    short = run_metric(metric, {1: 'red circle', 2: 'x y', 3: 'x y',
                                4: 'x y'})
    # corpus BLEU_1: 2 matching unigrams of 8 words; the references closest
    # in length have 4 + 5 + 3 + 3 = 15 words -> brevity penalty
    # exp(1 - 15 / 8)
    import math
    assert short['BLEU_1'] == pytest.approx(
        100 * 2 / 8 * math.exp(1 - 15 / 8), rel=1e-6)


def test_one_prediction_per_image_and_id_checks(tmp_path, no_java):
    gt = write_gt(tmp_path / 'gt.json')
    metric = METRICS.build(dict(type='COCOCaptionMetric', ann_file=gt))
    preds = {i: r[0] for i, r in REFS.items()}
    # a distributed sampler repeats samples: the first one counts
    metric.process(None, [dict(image_id=1, pred_caption='x y z')])
    out = run_metric(metric, preds)
    assert out['BLEU_1'] < 100
    metric.results.clear()
    with pytest.raises(ValueError, match='have no prediction'):
        run_metric(metric, {1: 'a red circle'})
    lenient = METRICS.build(dict(type='COCOCaptionMetric', ann_file=gt,
                                 require_all_images=False))
    assert run_metric(lenient, {1: REFS[1][0]})['BLEU_4'] == \
        pytest.approx(100)
    metric.results.clear()
    with pytest.raises(ValueError, match='not in'):
        run_metric(metric, {**preds, 99: 'a cat'})


def test_nocaps_domains(tmp_path, no_java):
    """Per-domain scores are the scores of each domain's images alone."""
    preds = {1: 'a red circle', 2: 'two squares and a star',
             3: 'a green shape', 4: 'a yellow cross on the right'}
    metric = METRICS.build(dict(
        type='COCOCaptionMetric', prefix='nocaps',
        ann_file=write_gt(tmp_path / 'gt.json', domains=DOMAINS)))
    out = run_metric(metric, preds)
    for domain in ('in-domain', 'out-domain'):
        ids = [i for i in REFS if DOMAINS[i] == domain]
        alone = METRICS.build(dict(
            type='COCOCaptionMetric',
            ann_file=write_gt(tmp_path / f'{domain}.json',
                              {i: REFS[i] for i in ids})))
        expect = run_metric(alone, {i: preds[i] for i in ids})
        for k, v in expect.items():
            assert out[f'{domain}/{k}'] == pytest.approx(v)
    assert 'CIDEr' in out and 'near-domain/CIDEr' not in out
    # domains may also come from the data samples
    metric2 = METRICS.build(dict(type='COCOCaptionMetric',
                                 ann_file=write_gt(tmp_path / 'plain.json')))
    out2 = run_metric(metric2, preds, domains=DOMAINS)
    assert out2['out-domain/CIDEr'] == pytest.approx(out['out-domain/CIDEr'])


def test_baseline_is_the_most_frequent_training_caption(tmp_path, no_java):
    train = [dict(image='a', caption='a red circle', image_id=0),
             dict(image='b', caption='A red circle', image_id=1),
             dict(image='c', caption='a blue square', image_id=2)]
    (tmp_path / 'train.json').write_text(json.dumps(train))
    assert cm.most_frequent_caption(str(tmp_path / 'train.json')) == \
        'a red circle'
    metric = METRICS.build(dict(
        type='COCOCaptionMetric', ann_file=write_gt(tmp_path / 'gt.json'),
        baseline_ann_file=str(tmp_path / 'train.json')))
    out = run_metric(metric, {i: r[0] for i, r in REFS.items()})
    assert out['BLEU_4'] == pytest.approx(100)
    assert 0 < out['baseline/BLEU_1'] < 100
    table = metric.comparison_table(out, 'a red circle')
    assert 'CIDEr' in table and 'baseline' in table


def test_without_java_one_line_and_python_tokens(no_java):
    lines = []
    gts = {1: ["A man's dog, running."]}
    res = {1: ['a man s dog running']}
    scores, _ = tools.evaluate_captions(gts, res, log=lines.append)
    tools.evaluate_captions(gts, res, log=lines.append)
    assert lines == [tools.NO_JAVA_NOTE]  # one line, once
    assert set(scores) == {'Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4',
                           'ROUGE_L', 'CIDEr'}
    assert tools.tokenize(gts, use_java=False) == {
        1: ["a man 's dog running"]}


@needs_java
def test_spice_without_corenlp_is_skipped_with_one_line(monkeypatch):
    tools._reported.clear()
    monkeypatch.setattr(tools, 'missing_spice_jars',
                        lambda: ['/x/lib/stanford-corenlp-3.6.0.jar'])
    lines = []
    scores, _ = tools.evaluate_captions(
        {1: ['a red circle']}, {1: ['a red circle']},
        metrics=('BLEU', 'SPICE'), log=lines.append)
    assert 'Bleu_4' in scores and 'SPICE' not in scores
    assert len(lines) == 1 and 'stanford-corenlp-3.6.0' in lines[0]


def test_a_failing_scorer_does_not_end_the_evaluation(monkeypatch):
    tools._reported.clear()

    def broken(*args, **kwargs):
        raise RuntimeError('jvm crashed')

    monkeypatch.setattr(tools, 'meteor_score', broken)
    lines = []
    scores, _ = tools.evaluate_captions(
        {1: ['a red circle']}, {1: ['a red circle']},
        metrics=('METEOR', 'CIDEr'), use_java=True, tokenized=True,
        log=lines.append)
    assert 'CIDEr' in scores and 'METEOR' not in scores
    assert lines == ['caption metrics: METEOR failed and is skipped '
                     '(jvm crashed)']


@needs_java
def test_python_tokenizer_matches_java_on_captions():
    sentences = ["A man's dog, running (fast) on the beach.",
                 "Two people don't like it -- really!",
                 "a t-shirt at 5 o'clock; \"nice\" isn't it?",
                 '1,000 people & 3.5 dogs: wow?', 'a red-and-white bus .']
    assert tools.java_ptb_tokenize(sentences) == [
        tools.simple_ptb_tokenize(s) for s in sentences]


# A scorer run in a subprocess where writing under pycocoevalcap's folder
# raises PermissionError (an audit hook: root ignores file modes, so
# chmod cannot make the folder read-only in a test).
READ_ONLY = textwrap.dedent('''
    import importlib.util, os, sys
    import pycocoevalcap
    PKG = os.path.realpath(list(pycocoevalcap.__path__)[0])

    def guard(event, args):
        if event == 'open' and isinstance(args[0], (str, bytes)):
            path, mode, flags = args
            writing = (mode and any(m in mode for m in 'wax+')) or (
                flags and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if writing and os.path.realpath(path).startswith(PKG):
                raise PermissionError(f'read-only install: {path}')
        if event in ('os.mkdir', 'os.remove', 'os.rename') and \\
                os.path.realpath(str(args[0])).startswith(PKG):
            raise PermissionError(f'read-only install: {args[0]}')

    sys.addaudithook(guard)
    if sys.argv[1] == 'original':
        from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
        PTBTokenizer().tokenize({1: [{'caption': 'a red circle'}]})
    else:
        spec = importlib.util.spec_from_file_location('t', sys.argv[2])
        t = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(t)
        scores, _ = t.evaluate_captions(
            {1: ['A red circle.', 'a red disk'], 2: ['Two blue squares!']},
            {1: ['a red circle'], 2: ['two squares']},
            metrics=('BLEU', 'METEOR', 'ROUGE_L', 'CIDEr', 'SPICE'))
        print(sorted(scores))
''')


def snapshot(folder):
    return sorted((p, os.stat(osp.join(p, f)).st_mtime)
                  for p, _, files in os.walk(folder) for f in files)


@needs_java
def test_scores_from_a_read_only_install(tmp_path):
    script = tmp_path / 'run.py'
    script.write_text(READ_ONLY)
    before = snapshot(tools.package_dir())
    # the check bites: pycocoevalcap's own tokenizer writes into its folder
    original = subprocess.run([sys.executable, str(script), 'original'],
                              capture_output=True, text=True)
    assert original.returncode != 0
    assert 'read-only install' in original.stderr
    ours = subprocess.run(
        [sys.executable, str(script), 'ours', tools.__file__],
        capture_output=True, text=True, timeout=240)
    assert ours.returncode == 0, ours.stderr
    assert "'METEOR'" in ours.stdout and "'CIDEr'" in ours.stdout
    assert snapshot(tools.package_dir()) == before
