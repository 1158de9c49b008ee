"""tools/analysis_tools/demo_summary.py on a hand-made demo work dir."""
import importlib.util
import json
import math
import os.path as osp

import pytest

from tests.conftest import REPO


def _tool():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'demo_summary.py')
    spec = importlib.util.spec_from_file_location('demo_summary', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _write(path, obj, lines=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w') as f:
        if lines:
            f.write('\n'.join(json.dumps(o) for o in obj) + '\n')
        else:
            json.dump(obj, f)


def _metrics(r_mean, tr1=1.0, ir1=2.0):
    return {'retrieval/r_mean': r_mean, 'retrieval/tr_r1': tr1,
            'retrieval/ir_r1': ir1, 'retrieval/chance_tr_r1': 0.2,
            'retrieval/chance_ir_r1': 0.2}


@pytest.fixture
def work(tmp_path):
    w = tmp_path / 'demo'
    # an older and a newer test run: the newer counts
    _write(w / 'zeroshot' / '20260101_000000' / '20260101_000000.json',
           _metrics(5.0))
    _write(w / 'zeroshot' / '20260102_000000' / '20260102_000000.json',
           _metrics(12.0))
    _write(w / 'zeroshot' / '20260102_000000' / 'vis_data' / 'x.json',
           {'retrieval/r_mean': 99})
    _write(w / 'two_stage' / '20260102_000000' / '20260102_000000.json',
           _metrics(13.5))
    log = [dict(iter=i, loss_cls=v) for i, v in
           enumerate([5.0, 4.0, 4.5, 4.4, 4.3, 4.2, 4.1], 1)]
    _write(w / 'pretrain' / '20260101_000000' / 'vis_data' / 'scalars.json',
           log, lines=True)
    _write(w / 'analysis' / 'itm_accuracy.json',
           dict(accuracy=dict(overall=70.0, prior=66.7, matched=40.0,
                              negative=85.0)))
    _write(w / 'analysis' / 'attribute_probe.json', dict(
        world='v2', itc=dict(color=0.96, shape=0.3, chance_color=0.25,
                             chance_shape=0.25),
        itm=dict(color=0.1, shape=0.1)))
    _write(w / 'analysis' / 'code_purity.json', dict(purity=dict(objects={
        'shape+color': dict(codes=0.2, kmeans=0.4, random=0.1)})))
    data = tmp_path / 'data'
    _write(data / 'meta.json', dict(semantics=dict(test=dict(
        oracle=dict(mean=97.8),
        colour_oracle=dict(mean=5.8, mean_recall=26.4)))))
    return str(w), str(data)


def test_rows_values_targets_and_verdicts(work, capsys):
    tool = _tool()
    rows = {r['figure'].strip(): r for r in tool.main([work[0],
                                                       '--data-root',
                                                       work[1]])}
    zs = rows['zero-shot ITC mean recall']
    assert zs['value'] == 12.0 and zs['met'] is False
    assert 'colour-only oracle 26.4' in zs['baseline']
    assert rows['two-stage (ITM re-ranked) mean recall']['met'] is True
    itm = rows['ITM accuracy (matched : ITC-hard = 1 : 2)']
    assert itm['met'] is False and itm['target'] == '>= 81.7'
    assert rows['probe: color (ITC)']['met'] is True
    assert rows['probe: shape (ITC)']['met'] is False
    cls = rows['final loss_cls / ln K']
    # the mean of the last 5 logged values, over ln 256
    assert cls['value'] == pytest.approx(4.3 / math.log(256))
    assert cls['met'] is True
    assert rows['code purity, shape + colour (object patches)']['met'] \
        is False
    out = capsys.readouterr().out
    assert 'not measured' not in out
    with open(osp.join(work[0], 'summary.json')) as f:
        assert len(json.load(f)) == len(rows)


def test_missing_files_are_not_measured(tmp_path, capsys):
    tool = _tool()
    rows = tool.main([str(tmp_path), '--data-root', str(tmp_path)])
    assert all(r['met'] is None for r in rows)
    assert 'not measured' in capsys.readouterr().out
