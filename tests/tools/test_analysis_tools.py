"""The analysis tools, in-process, on a tiny model and a tiny Shapes-VL.

Each picture tool must write a valid, non-blank PNG of the size its
drawing function promises; the number tools must print and save what they
say.
"""
import importlib.util
import json
import os.path as osp

import pytest
from mmengine.config import Config

from semmim.registry import MODELS
from semmim.visualization.masking import masking_figure_size
from semmim.visualization.patterns import cluster_sheet_size, layout_size
from tests.conftest import REPO
from tests.visualization.test_patterns import check_png


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f'analysis_{name}', osp.join(REPO, 'tools', 'analysis_tools',
                                     f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def common(pretrained, tiny_shapes):
    return list(pretrained) + ['--data-root', tiny_shapes, '--split',
                               'train']


def test_vis_pattern_clusters(pretrained, tiny_shapes, tmp_path):
    out = str(tmp_path / 'clusters.png')
    tool = load_tool('vis_pattern_clusters')
    result = tool.main(common(pretrained, tiny_shapes) + [
        '--num-images', '8', '--num-codes', '4', '--per-code', '4',
        '--out', out])
    assert result['out'] == out and 1 <= len(result['codes']) <= 4
    check_png(out, cluster_sheet_size(len(result['codes']), 4, 48, 4))
    frequent = tool.main(common(pretrained, tiny_shapes) + [
        '--num-images', '8', '--num-codes', '3', '--per-code', '9',
        '--select', 'frequent', '--pick', 'confident', '--out', out])
    check_png(out, cluster_sheet_size(len(frequent['codes']), 9, 48, 4))


def test_vis_pattern_layout(pretrained, tiny_shapes, tmp_path):
    out = str(tmp_path / 'layout.png')
    result = load_tool('vis_pattern_layout').main(
        common(pretrained, tiny_shapes) + [
            '--indices', '0', '3', '5', '--ref-images', '6', '--out', out])
    assert result['num_images'] == 3
    check_png(out, layout_size(3))


def test_vis_pattern_layout_on_image_files(pretrained, tiny_shapes,
                                           tmp_path):
    out = str(tmp_path / 'layout_files.png')
    images = osp.join(tiny_shapes, 'images', 'val')
    load_tool('vis_pattern_layout').main(
        list(pretrained) + ['--images', images, '--out', out])
    check_png(out, layout_size(4))


def test_vis_masking(pretrained, tiny_shapes, tmp_path):
    out = str(tmp_path / 'masking.png')
    result = load_tool('vis_masking').main(
        common(pretrained, tiny_shapes) + [
            '--indices', '1', '2', '--stats-images', '8', '--out', out])
    check_png(out, masking_figure_size(2))
    with open(result['json']) as f:
        report = json.load(f)
    assert len(report['captions']) == 2
    assert report['split']['num_images'] == 8
    for key in ('drawn', 'split'):
        assert 0 <= report[key]['text_guided_on_objects'] <= 1


def test_vis_masking_with_own_caption(pretrained, tiny_shapes, tmp_path):
    out = str(tmp_path / 'own.png')
    image = osp.join(tiny_shapes, 'images', 'val')
    result = load_tool('vis_masking').main(
        list(pretrained) + ['--images', image, '--captions', 'a red circle',
                            'a blue star', 'a green cross', 'two shapes',
                            '--out', out])
    check_png(out, masking_figure_size(4))
    assert result['report']['captions'][0] == 'a red circle'
    assert 'drawn' not in result['report']  # no ground truth for files


def test_code_purity(pretrained, tiny_shapes, tmp_path, capsys):
    out = str(tmp_path / 'purity.json')
    report = load_tool('code_purity').main(
        common(pretrained, tiny_shapes) + [
            '--num-images', '16', '--repeats', '2', '--probe', '--out', out])
    printed = capsys.readouterr().out
    assert 'all patches' in printed and 'k-means' in printed
    assert 'teacher max probability' in printed
    # the diagnostic: every layer of both encoders (2 layers), the final
    # norm and the head bottleneck, after raw pixels
    assert list(report['probe'])[:4] == [
        'raw pixels', 'momentum layer 1', 'momentum layer 2',
        'momentum final']
    assert 'online head bottleneck' in report['probe']
    for entry in report['probe'].values():
        assert set(entry) == {'shape', 'color', 'shape+color'}
    with open(out) as f:
        assert json.load(f)['purity'] == report['purity']
    res = report['purity']['all']
    assert res['num_patches'] == 16 * 64
    for space in ('object', 'shape', 'color', 'shape+color'):
        e = res[space]
        for key in ('codes', 'random', 'kmeans'):
            assert e['majority'] - 1e-9 <= e[key] <= 1
    with pytest.raises(SystemExit):
        load_tool('code_purity').main(list(pretrained) + ['--images', out])


def test_attribute_probe(pretrained, tiny_shapes, tmp_path, capsys):
    from semmim.visualization.attributes import single_object
    from semmim.visualization.samples import shapes_vl_samples
    out = str(tmp_path / 'attributes.json')
    report = load_tool('attribute_probe').main(
        common(pretrained, tiny_shapes) + ['--out', out])
    printed = capsys.readouterr().out
    assert 'single-object images' in printed
    assert 'share of ITC embedding variance' in printed
    sides = ('text_color', 'text_shape', 'image_color', 'image_shape')
    assert set(report['variance_shares']) == {
        *sides, *('chance_' + key for key in sides)}
    for share in report['variance_shares'].values():
        assert 0 <= share <= 1 + 1e-9
    assert set(report['mlm']) == {'shape', 'color', 'shape_majority',
                                  'color_majority'}
    assert report['itm']['num_images'] == report['scores']['num_images']
    scores = report['scores']
    expected = len(single_object(shapes_vl_samples(tiny_shapes, 'train')))
    assert scores['num_images'] == expected > 0
    for key in ('color', 'shape', 'both'):
        assert 0 <= scores[key] <= 1
    assert scores['chance_color'] == pytest.approx(
        1 / len(report['colors']))
    with open(out) as f:
        assert json.load(f)['scores'] == scores
    with pytest.raises(SystemExit, match='no {shape}'):
        load_tool('attribute_probe').main(
            common(pretrained, tiny_shapes) + ['--template', 'a {color}'])


def write_scalars(run_dir, steps, start=0):
    """MMEngine's scalars.json of a run, written by its own backend."""
    from mmengine.visualization import LocalVisBackend
    backend = LocalVisBackend(str(run_dir / 'vis_data'))
    for i in range(start, start + steps):
        backend.add_scalars(dict(lr=1e-3 / (i + 1), base_lr=1e-3 / (i + 1),
                                 loss=5. - 0.1 * i, loss_patch=2. - 0.05 * i,
                                 loss_itc=3. - 0.05 * i, acc_itc=float(i),
                                 data_time=0.01, time=0.5, epoch=1,
                                 iter=i + 1), step=i + 1)
    # a validation record (step = epoch) is not on the iteration axis
    backend.add_scalars({'retrieval/txt_r1': 50.0}, step=1)


def test_plot_curves(tmp_path):
    tool = load_tool('plot_curves')
    write_scalars(tmp_path / 'work' / '20260101_000000', 5)
    write_scalars(tmp_path / 'work' / '20260101_010000', 5, start=5)  # resume
    out = str(tmp_path / 'curves.png')
    assert tool.main([str(tmp_path / 'work'), '--out', out]) == out
    curves = tool.select(tool.read_curves(
        tool.find_scalar_logs(str(tmp_path / 'work'))))
    assert list(curves)[:3] == ['loss', 'loss_itc', 'loss_patch']
    assert {'lr', 'base_lr', 'acc_itc'} <= set(curves)
    assert 'time' not in curves and 'retrieval/txt_r1' not in curves
    assert [s for s, _ in curves['loss']] == list(range(1, 11))
    check_png(out, tool.figure_size(len(curves)))
    with pytest.raises(FileNotFoundError):
        tool.find_scalar_logs(str(tmp_path / 'nothing'))


def test_model_params(pretrained, capsys):
    parts = load_tool('model_params').main([pretrained[0]])
    printed = capsys.readouterr().out
    model = MODELS.build(Config.fromfile(pretrained[0]).model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters()
                 if not p.requires_grad)
    assert sum(p['trainable'] for p in parts.values()) == trainable
    assert sum(p['frozen'] for p in parts.values()) == frozen
    # each momentum copy is frozen, listed on its own, as big as what it
    # copies
    def size(module):
        return sum(p.numel() for p in module.parameters())

    assert parts['momentum_vision.backbone'] == dict(
        trainable=0, frozen=size(model.vision_backbone))
    assert parts['momentum_vision.head']['frozen'] == \
        size(model.encoding_head)
    assert parts['momentum_towers.text_encoder']['frozen'] == \
        size(model.text_encoder)
    assert 'total' in printed


def test_get_flops(pretrained, tmp_path, capsys):
    out = str(tmp_path / 'flops.json')
    report = load_tool('get_flops').main([pretrained[0], '--out', out])
    printed = capsys.readouterr().out
    assert 'training step' in printed and 'inference' in printed
    with open(out) as f:
        assert json.load(f)['model'] == 'SemMIM'
    step = report['train_step']
    assert step['total'] == pytest.approx(step['forward'] + step['backward'])
    assert sum(step['forward_by_part'].values()) == \
        pytest.approx(step['forward'])
    assert step['per_step_at_config_batch'] == pytest.approx(
        step['total'] * step['config_batch_size'])
    assert set(report['inference']) == {'image_feature', 'text_feature'}


def test_masking_fidelity(pretrained, tiny_shapes, tmp_path, capsys):
    out = str(tmp_path / 'fidelity.json')
    rows = load_tool('masking_fidelity').main(
        common(pretrained, tiny_shapes) + [
            '--num-images', '6', '--captions-per-image', '2',
            '--temperatures', '1', '0.1', '--draws', '2', '--out', out])
    assert [(r['features'], r['temperature']) for r in rows] == [
        ('itc', 1.0), ('itc', 0.1), ('fusion', 1.0), ('fusion', 0.1)]
    with open(out) as f:
        report = json.load(f)
    assert report['num_pairs'] == 12 and len(report['rows']) == 4
    for r in rows:
        assert 0 <= r['text_guided'] <= 1 and 0 <= r['random'] <= 1
        assert 0 <= r['other_caption'] <= 1
    printed = capsys.readouterr().out
    assert 'text-guided' in printed and 'fusion' in printed
