"""The miniature ablation's harness (tools/ablation/: shapes_vl.py, the
driver; shapes_vl_report.py, aggregation and page; seed_stats.py): the
statistics on hand-made numbers, aggregation over a fake work dir, resume
with a fake stage runner, progress lines, the variant configs and the page.
The end-to-end run (every stage a few steps) is marked slow."""
import json
import math
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'ablation'))
import seed_stats as S  # noqa: E402
import shapes_vl as A  # noqa: E402
import shapes_vl_report as R  # noqa: E402


# ---------------------------------------------------------------- statistics
def test_t_quantiles_match_the_table():
    # two-sided 95 % critical values of Student's t (any statistics book)
    for df, value in [(1, 12.706), (2, 4.303), (4, 2.776), (10, 2.228),
                      (30, 2.042)]:
        assert S.t_ppf(0.975, df) == pytest.approx(value, abs=1e-3)
    assert S.t_ppf(0.025, 2) == pytest.approx(-4.303, abs=1e-3)
    # P(T > 0) = 1/2; df = 1 is the Cauchy: P(T > 1) = 1/4
    assert S.t_sf(0.0, 5) == pytest.approx(0.5)
    assert S.t_sf(1.0, 1) == pytest.approx(0.25)
    assert S.t_sf(-1.0, 1) == pytest.approx(0.75)


def test_t_matches_scipy():
    stats = pytest.importorskip('scipy.stats')
    for df in (1, 2, 3, 7, 23):
        for t in (-3.1, -0.4, 0.2, 1.7, 9.0):
            assert S.t_sf(t, df) == pytest.approx(stats.t.sf(t, df),
                                                  rel=1e-9, abs=1e-12)
        assert S.t_ppf(0.9, df) == pytest.approx(stats.t.ppf(0.9, df),
                                                 rel=1e-9)


def test_summarize_by_hand():
    s = S.summarize([1.0, 2.0, 3.0, 4.0])
    std = math.sqrt(5 / 3)  # squared deviations 2.25+.25+.25+2.25 over 3
    half = 3.182446 * std / 2  # t(0.975, 3) * sd / sqrt(4)
    assert s['n'] == 4 and s['mean'] == pytest.approx(2.5)
    assert s['std'] == pytest.approx(std)
    assert s['ci'] == pytest.approx([2.5 - half, 2.5 + half], abs=1e-5)
    one = S.summarize([7.0])
    assert one['mean'] == 7.0 and one['std'] is None and one['ci'] is None


def test_paired_by_hand():
    # differences 2, 3, 2: mean 7/3, sd 1/sqrt(3), se 1/3, t = 7
    p = S.paired([3.0, 5.0, 4.0], [1.0, 2.0, 2.0])
    assert p['mean'] == pytest.approx(7 / 3)
    assert p['std'] == pytest.approx(1 / math.sqrt(3))
    assert p['t'] == pytest.approx(7.0)
    half = 4.302653 / 3
    assert p['ci'] == pytest.approx([7 / 3 - half, 7 / 3 + half], abs=1e-5)
    # two-sided p of t = 7 at 2 df: 1 - 7 / sqrt(7^2 + 2) (closed form)
    assert p['p'] == pytest.approx(1 - 7 / math.sqrt(51), rel=1e-9)
    assert p['resolved'] is True
    # a spread as large as the mean: the interval straddles 0
    q = S.paired([3.0, 1.0, 4.0], [1.0, 2.0, 2.0])
    assert q['ci'][0] < 0 < q['ci'][1] and q['resolved'] is False
    assert 0.05 < q['p'] < 1


def test_paired_matches_scipy():
    stats = pytest.importorskip('scipy.stats')
    x, y = [10.2, 12.5, 9.1, 11.0], [11.0, 13.9, 9.5, 11.2]
    ref = stats.ttest_rel(x, y)
    p = S.paired(x, y)
    assert p['t'] == pytest.approx(ref.statistic)
    assert p['p'] == pytest.approx(ref.pvalue)


def test_paired_edge_cases():
    same = S.paired([2.0, 3.0], [1.0, 2.0])  # every seed +1
    assert same['p'] == 0.0 and same['resolved'] is True
    zero = S.paired([1.0, 2.0], [1.0, 2.0])
    assert zero['p'] == 1.0 and zero['resolved'] is False
    one = S.paired([1.0], [0.5])
    assert one['mean'] == 0.5 and one['ci'] is None
    assert one['resolved'] is False


def test_paper_directions():
    # Table 4: w/o MIM 79.0 / 62.3, 77.20 against 81.5 / 64.2, 78.12
    assert R.paper_difference('mim-none', 'TR') == pytest.approx(-2.5)
    assert R.paper_difference('mim-none', 'IR') == pytest.approx(-1.9)
    assert R.paper_difference('mim-none', 'TR+IR') == pytest.approx(-2.2)
    assert R.paper_difference('mim-none', 'VQA') == pytest.approx(-0.92)
    assert R.paper_difference('inject-1', 'TR') == pytest.approx(-1.5)
    assert R.paper_difference('semmim', 'TR') == 0
    assert R.direction_agrees(-0.3, -2.5) is True
    assert R.direction_agrees(0.3, -2.5) is False
    assert R.direction_agrees(0.0, -2.5) is None
    assert R.direction_agrees(None, -2.5) is None


# ---------------------------------------------------------------- progress
def test_durations_and_progress_line():
    assert R.fmt_duration(12.4) == '12s'
    assert R.fmt_duration(252) == '4m12s'
    assert R.fmt_duration(5400) == '1h30m'
    assert R.fmt_duration(None) == '?'
    assert A.progress_line(3, 24, 'mim-none', 2, 252, 5400) == \
        '[run 3/24] mim-none seed 2: done in 4m12s; ~1h30m left'
    assert A.progress_line(24, 24, 'inject-1', 2, 60, 0).endswith(
        'done in 1m00s; nothing left')
    assert 'reused' in A.progress_line(1, 2, 'semmim', 0, 0, None,
                                       reused=True)


# ---------------------------------------------------------------- resume
class FakeRunner:
    """Stands in for the subprocesses: records the stages it ran; metrics
    are a function of variant and seed; fails on request (a kill)."""

    def __init__(self, fail_at=None, error_at=None):
        self.calls = []
        self.fail_at = fail_at
        self.error_at = error_at

    def __call__(self, work_dir, variant, seed, stage):
        if (variant, seed, stage) == self.fail_at:
            raise KeyboardInterrupt  # killed in the middle of the stage
        if (variant, seed, stage) == self.error_at:
            raise A.StudyError(f'{variant} seed {seed}: {stage} failed')
        self.calls.append((variant, seed, stage))
        if stage in ('pretrain', 'vqa_train'):
            return dict(checkpoint=f'{variant}-{seed}-{stage}.pth')
        base = 10.0 * (R.VARIANTS.index(variant) + 1) + seed
        prefix = 'vqa/' if stage == 'vqa_test' else 'retrieval/'
        names = ['acc'] if stage == 'vqa_test' else [
            'tr_r1', 'ir_r1', 'r_mean']
        return dict(metrics={prefix + n: base + i + (stage == 'two_stage')
                             for i, n in enumerate(names)})


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 5.0  # every reading 5 s later
        return self.now


def test_resume_skips_finished_stages_and_redoes_the_rest(tmp_path):
    work = str(tmp_path)
    first = FakeRunner(fail_at=('mim-none', 0, 'two_stage'))
    study = A.Study(work, ['semmim', 'mim-none'], [0, 1], first,
                    log=lambda s: None, clock=Clock())
    with pytest.raises(KeyboardInterrupt):
        study.run()
    assert first.calls == [('semmim', s, st) for s in (0, 1)
                           for st in R.STAGE_NAMES] + [
        ('mim-none', 0, 'pretrain'), ('mim-none', 0, 'itc')]
    # a half-written result (the tmp file of an interrupted write) does
    # not count, nor does a broken result.json
    half = osp.join(R.stage_dir(work, 'mim-none', 0, 'two_stage'),
                    'result.json.tmp')
    os.makedirs(osp.dirname(half), exist_ok=True)
    with open(half, 'w') as f:
        f.write('{"metrics": {"retrieval/tr_r1"')
    broken = osp.join(R.stage_dir(work, 'semmim', 1, 'vqa_test'),
                      'result.json')
    with open(broken, 'w') as f:
        f.write('{"metr')
    again = FakeRunner()
    lines = []
    A.Study(work, ['semmim', 'mim-none'], [0, 1], again, log=lines.append,
            clock=Clock()).run()
    assert again.calls == [('semmim', 1, 'vqa_test')] + [
        ('mim-none', 0, st) for st in R.STAGE_NAMES[2:]] + [
        ('mim-none', 1, st) for st in R.STAGE_NAMES]
    assert lines[-1].startswith('[run 4/4] mim-none seed 1: done in')
    assert '[run 1/4] semmim seed 0: reused' in lines[0]
    result = R.read_json(osp.join(R.stage_dir(work, 'mim-none', 0,
                                              'two_stage'), 'result.json'))
    assert result['metrics']['retrieval/tr_r1'] == 21.0
    assert result['wall_s'] == 5.0 and result['seed'] == 0
    # a third pass runs nothing
    third = FakeRunner()
    A.Study(work, ['semmim', 'mim-none'], [0, 1], third,
            log=lambda s: None).run()
    assert third.calls == []
    # a pre-training redone (its result removed) redoes what used it
    os.remove(osp.join(R.stage_dir(work, 'semmim', 0, 'pretrain'),
                       'result.json'))
    os.remove(osp.join(R.stage_dir(work, 'semmim', 1, 'vqa_train'),
                       'result.json'))
    fourth = FakeRunner()
    A.Study(work, ['semmim', 'mim-none'], [0, 1], fourth,
            log=lambda s: None).run()
    assert fourth.calls == [('semmim', 0, s) for s in R.STAGE_NAMES] + [
        ('semmim', 1, 'vqa_train'), ('semmim', 1, 'vqa_test')]


def test_a_failed_stage_ends_its_run_not_the_study(tmp_path):
    lines = []
    runner = FakeRunner(error_at=('semmim', 0, 'itc'))
    failures = A.Study(str(tmp_path), ['semmim'], [0, 1], runner,
                       log=lines.append, clock=Clock()).run()
    assert failures == ['semmim seed 0: itc failed']
    assert '[run 1/2] semmim seed 0: FAILED: semmim seed 0: itc failed' \
        in lines
    assert [c for c in runner.calls if c[1] == 0] == [
        ('semmim', 0, 'pretrain')]
    assert len([c for c in runner.calls if c[1] == 1]) == 5
    again = FakeRunner()
    assert A.Study(str(tmp_path), ['semmim'], [0, 1], again,
                   log=lambda s: None).run() == []
    assert again.calls == [('semmim', 0, s) for s in R.STAGE_NAMES[1:]]


def test_progress_estimates_what_is_left(tmp_path):
    lines = []
    A.Study(str(tmp_path), ['semmim'], [0, 1, 2], FakeRunner(),
            log=lines.append, clock=Clock()).run()
    runs = [line for line in lines if ': done in' in line]
    # every stage reads the clock twice (10 s), a run once more at each
    # end: 5 stages x 10 s + 5 s = 55 s
    assert runs[0] == '[run 1/3] semmim seed 0: done in 55s; ~1m50s left'
    assert runs[1] == '[run 2/3] semmim seed 1: done in 55s; ~55s left'
    assert runs[2].endswith('nothing left')
    stage_lines = [line for line in lines if 'stage 2/5' in line]
    assert stage_lines[0] == ('[run 1/3] semmim seed 0: stage 2/5 zero-shot '
                              'ITC retrieval ...')


def test_atomic_write_replaces_whole(tmp_path):
    path = str(tmp_path / 'a' / 'result.json')
    R.write_json_atomic(path, dict(x=1))
    R.write_json_atomic(path, dict(x=2))
    assert R.read_json(path) == dict(x=2)
    assert os.listdir(osp.dirname(path)) == ['result.json']


# ---------------------------------------------------------------- aggregate
def test_aggregate_over_a_fake_work_dir(tmp_path):
    work = str(tmp_path)
    A.Study(work, ['semmim', 'mim-none'], [0, 1, 2], FakeRunner(),
            log=lambda s: None, clock=Clock()).run()
    # seed 2 of mim-none lost its VQA test: the run is incomplete
    os.remove(osp.join(R.stage_dir(work, 'mim-none', 2, 'vqa_test'),
                       'result.json'))
    res = R.aggregate(work, ['semmim', 'mim-none'], [0, 1, 2])
    assert sorted(res['runs']['semmim']) == ['0', '1', '2']
    assert sorted(res['runs']['mim-none']) == ['0', '1']
    # semmim: 10 + seed (+ 1 for two-stage); mim-none: 20 + seed
    assert res['runs']['semmim']['1'] == {
        'itc/tr_r1': 11.0, 'itc/ir_r1': 12.0, 'itc/r_mean': 13.0,
        'two_stage/tr_r1': 12.0, 'two_stage/ir_r1': 13.0,
        'two_stage/r_mean': 14.0, 'vqa/acc': 11.0}
    ref = res['aggregate']['semmim']['itc/tr_r1']
    assert ref['mean'] == pytest.approx(11.0)
    assert ref['std'] == pytest.approx(1.0)
    assert 'vs_semmim' not in ref
    row = res['aggregate']['mim-none']['itc/tr_r1']
    assert row['n'] == 2 and row['mean'] == pytest.approx(20.5)
    cmp_ = row['vs_semmim']
    assert cmp_['seeds'] == ['0', '1'] and cmp_['mean'] == 10.0
    assert cmp_['resolved'] is True  # +10 at every seed
    assert row['paper_difference'] == pytest.approx(-2.5)
    assert cmp_['agrees_with_paper'] is False
    assert res['stage_wall_s']['pretrain']['n'] == 6
    assert res['paper']['mim-none']['TR'] == 79.0
    json.dumps(res)  # writable as is
    table = R.markdown_table(res, 'itc/tr_r1')
    assert '| mim-none | Table 4 "w/o MIM" | 20.5 ± 0.7' in table
    assert '+10.0' in table and '| yes | -2.50 | no |' in table
    summary = R.summary_table(res).splitlines()
    assert summary[0] == ('| variant | paper row | paper TR / IR R@1, VQA | '
                          'ITC mean recall | two-stage mean recall | '
                          'VQA accuracy |')
    # mim-none ITC mean recall: 22, 23 (t(0.975, 1) = 12.706 x 0.5)
    assert summary[3].startswith(
        '| mim-none | Table 4 "w/o MIM" | 79.0 / 62.3, 77.2 | 22.5 (16.1, '
        '28.9); +10.0 [10.0, 10.0] resolved, paper\'s sign: no |')


def test_page_and_plot(tmp_path):
    empty = R.aggregate(str(tmp_path), R.VARIANTS, [0, 1, 2])
    page = str(tmp_path / 'page.md')
    R.write_doc(empty, page, figure=None)
    text = open(page).read()
    assert '**Not yet run.**' in text
    results = text.split('## Results')[1].split('## Budget')[0]
    assert not any(c.isdigit() for c in results), results
    assert '![' not in text and 'Mean wall time' not in text
    for v in R.VARIANTS:
        assert f'`projects/ablation_shapes_vl/configs/{v}.py`' in text
    work = str(tmp_path / 'w')
    A.Study(work, ['semmim', 'inject-1'], [0, 1], FakeRunner(),
            log=lambda s: None, clock=Clock()).run()
    res = R.aggregate(work, ['semmim', 'inject-1'], [0, 1])
    res['command'] = 'python tools/ablation/shapes_vl.py --seeds 0 1'
    assert R.baselines(res) is None  # the fake runs report no baseline
    res['runs']['semmim']['0'].update({
        'itc/chance_tr_r1': 0.2, 'itc/chance_ir_r1': 0.2,
        'itc/chance_tr_r5': 1.0, 'itc/chance_ir_r5': 1.0,
        'itc/chance_tr_r10': 2.0, 'itc/chance_ir_r10': 2.0,
        'vqa/prior_acc': 27.14, 'vqa/qtype_prior_acc': 47.45})
    assert R.baselines(res) == (
        'retrieval by chance: mean recall 1.1, R@1 0.2 / 0.2; VQA: the most '
        'frequent answer 27.1, the most frequent answer of each question '
        'type 47.5')
    figure = str(tmp_path / 'fig.png')
    R.plot(res, figure)
    with open(figure, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    R.write_doc(res, page, figure=figure)
    text = open(page).read()
    assert 'Not yet run' not in text and '![the ablation](figures/fig.png)' \
        in text
    assert 'Made by `python tools/ablation/shapes_vl.py --seeds 0 1`' in text
    assert '| inject-1 | Table 7 "1" |' in text
    assert 'For scale, retrieval by chance: mean recall 1.1' in text
    others = [v for v in R.VARIANTS if v not in ('semmim', 'inject-1')]
    assert f'**Not run here**: {", ".join(others)} (configs above)' in text
    assert '(2 variants x 2 seeds)' in text and \
        f'; all {len(R.VARIANTS)} variants: ' in text


# ---------------------------------------------------------------- configs
CHANGED = {
    'semmim': lambda m: (m.mim_head is not None and
                         m.mim_head.type == 'PatchDistillHead' and
                         m.mask_generator.masking == 'text_guided' and
                         m.mask_generator.mask_ratio == 0.3 and
                         m.vision_backbone.text_inject_start == 4),
    'mim-none': lambda m: m.mim_head is None and m.mask_generator is None,
    'mim-pixel': lambda m: (m.mim_head.type == 'PixelMIMHead' and
                            m.mim_head.embed_dims == 192 and
                            m.mim_head.patch_size == 8 and
                            'num_codes' not in m.mim_head),
    'mask-random': lambda m: (m.mask_generator.masking == 'random' and
                              m.mask_generator.mask_ratio == 0.3),
    'mask-ratio-15': lambda m: m.mask_generator.mask_ratio == 0.15,
    'mask-ratio-45': lambda m: m.mask_generator.mask_ratio == 0.45,
    'inject-none': lambda m: m.vision_backbone.text_inject_start is None,
    'inject-1': lambda m: m.vision_backbone.text_inject_start == 1,
}


def test_every_variant_config_changes_its_key():
    assert set(CHANGED) == set(R.VARIANTS)
    demo = Config.fromfile(osp.join(
        REPO, 'configs', 'semmim',
        'semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py'))
    for v in R.VARIANTS:
        cfg = Config.fromfile(osp.join(REPO, R.CONFIG_DIR, f'{v}.py'))
        assert CHANGED[v](cfg.model), v
        # everything else is the demo's
        assert cfg.train_cfg == demo.train_cfg
        assert cfg.train_dataloader.dataset.data_root == 'data/shapes_vl_v2/'
        assert cfg.model.text_encoder == demo.model.text_encoder
        if v != 'semmim':
            assert not CHANGED['semmim'](cfg.model), v


def test_variants_build():
    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    register_all_modules()
    for v in ('mim-none', 'mim-pixel', 'inject-1'):
        cfg = Config.fromfile(osp.join(REPO, R.CONFIG_DIR, f'{v}.py'))
        model = MODELS.build(cfg.model)
        assert (model.mim_head is None) == (v == 'mim-none')


def test_vqa_config_takes_a_v2_pretraining_checkpoint():
    """Every parameter of the VQA model is filled, shape for shape, by the
    v2 demo's pre-training weights (72-token vocabulary)."""
    import torch

    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    from semmim.utils.checkpoint_io import match_state_dict
    register_all_modules()
    pre = Config.fromfile(osp.join(REPO, R.CONFIG_DIR, 'semmim.py'))
    vqa = Config.fromfile(osp.join(REPO, R.VQA_CFG))
    assert vqa.train_cfg.max_iters == vqa.param_scheduler[1].end
    assert vqa.train_dataloader.dataset.data_root == 'data/shapes_vl_v2/'
    torch.manual_seed(0)
    state = MODELS.build(pre.model).state_dict()
    _, report = match_state_dict(MODELS.build(vqa.model), state)
    assert report.share == 1.0
    assert not report.missing and not report.mismatched
    assert 'text_encoder.bert.embeddings.word_embeddings.weight' in \
        report.found


def test_commands(tmp_path):
    runner = A.CommandRunner(python='PY', data_root='/d', smoke=True)
    work = str(tmp_path)
    cmd = runner.command(work, 'mim-none', 2, 'pretrain')
    assert cmd[:3] == ['PY', 'tools/train.py',
                       'projects/ablation_shapes_vl/configs/mim-none.py']
    assert '--resume' not in cmd
    opts = cmd[cmd.index('--cfg-options') + 1:]
    assert 'randomness.seed=2' in opts
    assert 'train_dataloader.dataset.data_root=/d/' in opts
    assert 'train_cfg.max_epochs=1' in opts
    # a killed pre-training resumes from its last checkpoint
    out = R.stage_dir(work, 'mim-none', 2, 'pretrain')
    os.makedirs(out)
    open(osp.join(out, 'epoch_1.pth'), 'w').close()
    with open(osp.join(out, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(out, 'epoch_1.pth'))
    assert '--resume' in runner.command(work, 'mim-none', 2, 'pretrain')
    with pytest.raises(A.StudyError, match='pretrain has no result'):
        runner.command(work, 'mim-none', 2, 'itc')
    R.write_json_atomic(osp.join(out, 'result.json'),
                        dict(checkpoint='/c/epoch_2.pth'))
    two = runner.command(work, 'mim-none', 2, 'two_stage')
    assert two[1:4] == ['tools/test.py', R.RETRIEVAL_CFG, '/c/epoch_2.pth']
    assert 'model.topk=16' in two
    assert 'model.topk=16' not in runner.command(work, 'mim-none', 2, 'itc')
    ft = runner.command(work, 'mim-none', 2, 'vqa_train')
    assert 'load_from=/c/epoch_2.pth' in ft and '--resume' not in ft
    assert 'randomness.seed=2' in ft
    assert 'model.answer_list=/d/annotations/answer_list.json' in ft


@pytest.mark.slow
def test_end_to_end_smoke_run_and_rerun(tmp_path):
    """Every stage for real (a few steps on 16 images), then a rerun that
    runs nothing."""
    from semmim.datasets.shapes_vl import generate_shapes_vl
    data = str(tmp_path / 'data')
    generate_shapes_vl(data, num_train=16, num_val=4, num_test=4, seed=0,
                       num_workers=1, progress=False, world='v2')
    work = str(tmp_path / 'work')
    cmd = [sys.executable, osp.join(REPO, 'tools', 'ablation',
                                    'shapes_vl.py'), '--smoke',
           '--data-root', data, '--work-dir', work, '--variants',
           'semmim', 'mim-pixel', '--seeds', '0']
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    assert '[run 2/2] mim-pixel seed 0: done in' in run.stdout
    res = R.read_json(osp.join(work, 'results.json'))
    for v in ('semmim', 'mim-pixel'):
        metrics = res['runs'][v]['0']
        assert set(R.METRICS) <= set(metrics)
        assert all(0 <= metrics[m] <= 100 for m in R.METRICS)
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0
    assert again.stdout.count('reused') == 2
    assert 'stage 1/5' not in again.stdout


def test_command_runner_reads_the_tools_outputs(tmp_path, monkeypatch):
    """The stage runner around a fake tools/train.py / tools/test.py: the
    final checkpoint is kept and named, earlier ones go; the metrics come
    from the dump of MMEngine's LoggerHook; a failure names the log."""
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'meta.json').write_text('{"world": "v2"}')
    work = str(tmp_path / 'work')

    def fake_call(argv, cwd, stdout, stderr, env, pass_fds):
        out = argv[argv.index('--work-dir') + 1]
        assert env['OMP_NUM_THREADS'] == '1'
        assert env['PYTHONPATH'].split(os.pathsep)[0] == REPO
        if argv[1] == 'tools/train.py':
            for name in ('epoch_1.pth', 'epoch_2.pth'):
                open(osp.join(out, name), 'w').close()
            with open(osp.join(out, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(out, 'epoch_2.pth'))
        elif 'fail' in argv[-1]:
            return 3
        else:
            os.makedirs(osp.join(out, '20260101_000000'))
            with open(osp.join(out, '20260101_000000',
                               '20260101_000000.json'), 'w') as f:
                json.dump({'retrieval/tr_r1': 12.5, 'time': 0.3}, f)
        return 0

    monkeypatch.setattr(A.subprocess, 'call', fake_call)
    runner = A.CommandRunner(python='PY', data_root=str(data), threads=1)
    res = runner(work, 'semmim', 0, 'pretrain')
    out = R.stage_dir(work, 'semmim', 0, 'pretrain')
    assert res['checkpoint'] == osp.join(out, 'epoch_2.pth')
    assert sorted(f for f in os.listdir(out) if f.endswith('.pth')) == [
        'epoch_2.pth']
    assert len(res['data']) == 12
    R.write_json_atomic(osp.join(out, 'result.json'), res)
    assert runner(work, 'semmim', 0, 'itc')['metrics'] == {
        'retrieval/tr_r1': 12.5}
    failing = A.CommandRunner(python='PY', options=['fail=1'], threads=1)
    with pytest.raises(A.StudyError, match=r'two_stage failed \(exit 3\); '
                       r'see .*two_stage/stage.log'):
        failing(work, 'semmim', 0, 'two_stage')


def test_runs_on_other_data_are_flagged(tmp_path):
    work = str(tmp_path)
    A.Study(work, ['semmim'], [0, 1], FakeRunner(), log=lambda s: None,
            clock=Clock()).run()
    assert R.data_warning(R.aggregate(work, ['semmim'], [0, 1])) is None
    for seed, data in ((0, 'aaa'), (1, 'bbb')):
        path = osp.join(R.stage_dir(work, 'semmim', seed, 'pretrain'),
                        'result.json')
        R.write_json_atomic(path, dict(R.read_json(path), data=data))
    res = R.aggregate(work, ['semmim'], [0, 1])
    assert res['data'] == {'aaa': ['semmim/0'], 'bbb': ['semmim/1']}
    assert '2 different datasets' in R.data_warning(res)


def test_one_study_per_work_dir(tmp_path):
    """The lock is held while the study (or a stage it started) runs."""
    fd = A.lock_work_dir(str(tmp_path))
    with pytest.raises(A.StudyError, match='in use by another run'):
        A.lock_work_dir(str(tmp_path))
    # a child holding the inherited descriptor keeps the lock alive
    child = subprocess.Popen([sys.executable, '-c',
                              'import sys; sys.stdin.read()'],
                             stdin=subprocess.PIPE, pass_fds=(fd, ))
    os.close(fd)
    try:
        with pytest.raises(A.StudyError):
            A.lock_work_dir(str(tmp_path))
    finally:
        child.communicate(b'')
    os.close(A.lock_work_dir(str(tmp_path)))


class ConfiguredRunner(FakeRunner):
    """A fake runner whose stages have config fingerprints."""

    def __init__(self, configs):
        super().__init__()
        self.configs = configs

    def fingerprint(self, variant, seed, stage):
        return self.configs.get(stage, 'c0')


def test_a_changed_config_redoes_its_stage_from_scratch(tmp_path):
    work = str(tmp_path)
    A.Study(work, ['semmim'], [0], ConfiguredRunner({}),
            log=lambda s: None).run()
    ft = R.stage_dir(work, 'semmim', 0, 'vqa_train')
    assert R.read_json(osp.join(ft, 'result.json'))['config'] == 'c0'
    open(osp.join(ft, 'iter_300.pth'), 'w').close()
    same = ConfiguredRunner({})
    A.Study(work, ['semmim'], [0], same, log=lambda s: None).run()
    assert same.calls == []
    # the fine-tune's config changed: it and the test after it are redone,
    # and nothing of the old fine-tune is left to resume from
    changed = ConfiguredRunner({'vqa_train': 'c1'})
    A.Study(work, ['semmim'], [0], changed, log=lambda s: None).run()
    assert changed.calls == [('semmim', 0, 'vqa_train'),
                             ('semmim', 0, 'vqa_test')]
    assert not osp.exists(osp.join(ft, 'iter_300.pth'))
    assert R.read_json(osp.join(ft, 'result.json'))['config'] == 'c1'
    # killed while running another config: its checkpoints go too
    pre = R.stage_dir(work, 'semmim', 0, 'pretrain')
    os.remove(osp.join(pre, 'result.json'))
    open(osp.join(pre, 'epoch_1.pth'), 'w').close()
    R.write_json_atomic(osp.join(pre, 'started.json'), dict(config='old'))
    A.Study(work, ['semmim'], [0], ConfiguredRunner({'vqa_train': 'c1'}),
            log=lambda s: None).run()
    assert not osp.exists(osp.join(pre, 'epoch_1.pth'))
    # killed while running this config: kept for --resume
    os.remove(osp.join(pre, 'result.json'))
    open(osp.join(pre, 'epoch_1.pth'), 'w').close()
    A.Study(work, ['semmim'], [0], ConfiguredRunner({'vqa_train': 'c1'}),
            log=lambda s: None).run()
    assert osp.exists(osp.join(pre, 'epoch_1.pth'))


def test_config_fingerprints():
    runner = A.CommandRunner()
    fp = runner.fingerprint('semmim', 0, 'pretrain')
    assert len(fp) == 12 and fp == runner.fingerprint('semmim', 0,
                                                      'pretrain')
    assert fp == A.CommandRunner().fingerprint('semmim', 0, 'pretrain')
    assert fp != runner.fingerprint('semmim', 1, 'pretrain')
    assert fp != runner.fingerprint('mim-none', 0, 'pretrain')
    assert fp != A.CommandRunner(smoke=True).fingerprint('semmim', 0,
                                                         'pretrain')
    assert runner.fingerprint('semmim', 0, 'itc') != runner.fingerprint(
        'semmim', 0, 'two_stage')
    # the retrieval test does not depend on the seed
    assert runner.fingerprint('semmim', 0, 'itc') == runner.fingerprint(
        'semmim', 1, 'itc')
