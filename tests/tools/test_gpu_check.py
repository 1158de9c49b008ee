"""tools/analysis_tools/gpu_check.py: its sections on toy models (one in
the default suite; all of them, and the full dry run with the compile and
demo sections, marked slow); benchmark_peer.py's peer config."""
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import REPO, tiny_semmim_cfg
from tests.models.algorithms import (test_semmim_caption,
                                     test_semmim_retrieval, test_semmim_vqa)

OPTIM = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4))


def load_gpu_check():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'gpu_check.py')
    spec = importlib.util.spec_from_file_location('gpu_check', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def toy(model: dict) -> Config:
    return Config(dict(model=model, optim_wrapper=OPTIM))


@pytest.fixture
def toy_check(monkeypatch):
    gc = load_gpu_check()
    no_mim = {k.split('.', 1)[1]: v for k, v in gc.NO_MIM.items()}
    sizes = dict(
        gc.DRY, pretrain=toy(tiny_semmim_cfg()),
        ablation=toy(tiny_semmim_cfg(**no_mim)),
        retrieval=toy(test_semmim_retrieval.retrieval_cfg()),
        caption=toy(test_semmim_caption.caption_cfg()),
        vqa=toy(test_semmim_vqa.vqa_cfg()),
        batches=(2, 3), warmup=0, iters=1)
    monkeypatch.setattr(gc, 'DRY', sizes)
    return gc


def test_pretrain_section_on_a_toy_model(toy_check, capsys):
    """One batch size, one model: what the suite can afford (the other
    sections on toy models are the slow test below)."""
    toy_check.DRY['batches'] = (2,)
    report = toy_check.main(['--dry-run', '--device', 'cpu', '--sections',
                             'peak', 'pretrain', '--peak-size', '64'])
    assert 'FAILED' not in capsys.readouterr().out
    r = report['pretrain'][2]
    assert r['flops'] > 0 and r['s_per_iter'] > 0
    assert r['samples_per_s'] == pytest.approx(2 / r['s_per_iter'])
    assert r['mfu'] == pytest.approx(
        r['flops'] / r['s_per_iter'] / report['peak']['fp32'])


@pytest.mark.slow
def test_dry_run_sections_on_toy_models(toy_check, tmp_path, capsys):
    """Minutes on a loaded 2-core machine (107 s measured)."""
    out = tmp_path / 'report.json'
    report = toy_check.main(['--dry-run', '--device', 'cpu', '--sections',
                             'peak', 'pretrain', 'ablation', 'finetune',
                             '--peak-size', '128',
                             '--out', str(out)])
    text = capsys.readouterr().out
    assert 'FAILED' not in text, text
    assert out.is_file()
    assert report['peak']['fp32'] > 0 and 'bf16' not in report['peak']
    for bs in (2, 3):
        r = report['pretrain'][bs]
        assert r['batch'] == bs and r['flops'] > 0
        assert r['samples_per_s'] == pytest.approx(bs / r['s_per_iter'])
        assert r['mfu'] == pytest.approx(
            r['flops'] / r['s_per_iter'] / report['peak']['fp32'])
        assert r['memory'] is None  # no allocator peak on a CPU
    # FLOPs grow with the batch; MIM adds work to the step
    assert report['pretrain'][3]['flops'] > report['pretrain'][2]['flops']
    ab = report['ablation']
    assert ab['flop_ratio'] == pytest.approx(ab['flops'][0] / ab['flops'][1])
    assert ab['flop_ratio'] > 1
    assert ab['per_flop'] == pytest.approx(
        ab['time_ratio'] / ab['flop_ratio'])
    for task in ('retrieval', 'caption', 'vqa'):
        assert report['finetune'][task]['flops'] > 0, task
    for task in ('caption', 'vqa'):
        assert report['finetune'][task]['latency']['ms_per_image'] > 0
    assert 'retrieval' in text and 'caption beam search' in text
    assert 'VQA answer generation' in text


def test_sections_over_the_budget_are_skipped(toy_check, capsys):
    report = toy_check.main(['--dry-run', '--device', 'cpu', '--sections',
                             'peak', 'ablation', 'compile', '--peak-size',
                             '64', '--budget', '1e-9'])
    text = capsys.readouterr().out
    assert report['ablation'] == dict(skipped=True)
    assert report['compile'] == dict(skipped=True)
    assert '[compile] skipped' in text


@pytest.mark.slow
def test_full_dry_run_with_the_demo(tmp_path, capsys):
    """Every section with the Shapes-VL configs, as gpu_check.sh
    --dry-run runs it: minutes on 2 cores."""
    report = load_gpu_check().main(['--dry-run', '--device', 'cpu',
                                    '--work-dir', str(tmp_path)])
    text = capsys.readouterr().out
    assert 'FAILED' not in text, text
    assert report['compile']['s_per_iter'] > 0
    assert 'compiled blocks (eager)' in text
    demo = report['demo']
    assert demo['figures']['retrieval/r_mean'] >= 0
    assert osp.isdir(tmp_path / 'pretrain')


def test_peer_config_is_blip_with_a_local_tokenizer():
    """benchmark_peer.py: mmpretrain's BLIP retrieval config, read from the
    installed package, with the tokenizer on local files and our size and
    optimizer (building both full-size models is for the script)."""
    path = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_peer.py')
    spec = importlib.util.spec_from_file_location('benchmark_peer', path)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    ours = peer.our_cfg(160)
    assert ours.model.type == 'SemMIMRetrieval'
    assert ours.model.vision_backbone.img_size == 160
    cfg = peer.peer_cfg(160, ours.optim_wrapper)
    assert cfg.model.type == 'BlipRetrieval'
    assert cfg.model.vision_backbone.img_size == 160
    assert osp.isfile(osp.join(cfg.model.tokenizer.name_or_path,
                               'vocab.txt'))
    assert cfg.optim_wrapper.optimizer == ours.optim_wrapper.optimizer
    assert cfg.model.data_preprocessor.type == 'MultiModalDataPreprocessor'
