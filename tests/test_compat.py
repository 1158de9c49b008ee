"""Tests for ``semmim.compat``.

Each fix has a pair: an ``*_upstream_*`` test runs the broken behaviour in a
fresh interpreter that never imports semmim and asserts that it still fails
(when one starts passing, the fix can be dropped), and a test that the same
behaviour is correct once ``semmim`` is imported.
"""
import io
import os.path as osp
import pickle
import subprocess
import sys
import textwrap
import uuid
import zipfile

import numpy as np
import pytest
import torch
import torch.nn as nn

import semmim  # noqa: F401  (applies the fixes under test)
from semmim import compat


def run_upstream(*snippets: str) -> str:
    """Run the snippets in a new interpreter without semmim; return output.

    The code must print ``UPSTREAM-BROKEN`` once it has seen the bug.
    """
    code = ''.join(
        textwrap.dedent(s) for s in snippets + (
            "import sys\nassert 'semmim' not in sys.modules\n", ))
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    return output


# ---------------------------------------------------------------------------
# 1. torch >= 2.6 weights_only loading of Runner checkpoints


def _toy_runner(work_dir, **kwargs):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Model(BaseModel):

        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def forward(self, inputs, labels, mode='tensor'):
            out = self.linear(inputs).squeeze(-1)
            if mode == 'loss':
                return dict(loss=((out - labels)**2).mean())
            return out

    class Data(torch.utils.data.Dataset):

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return dict(inputs=torch.tensor([i / 8, 1 - i / 8]),
                        labels=torch.tensor(float(i % 3)))

    return Runner(
        model=Model(),
        work_dir=str(work_dir),
        experiment_name=f'compat_{uuid.uuid4().hex}',
        train_dataloader=dict(
            dataset=Data(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=4),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        log_level='WARNING',
        default_scope='mmengine',
        **kwargs)


@pytest.fixture(scope='module')
def trained_work_dir(tmp_path_factory):
    """A toy Runner trained for 4 iterations, checkpointed every 2."""
    work_dir = tmp_path_factory.mktemp('runner')
    _toy_runner(work_dir).train()
    assert osp.exists(work_dir / 'iter_2.pth')
    return work_dir


def test_runner_checkpoint_upstream_fails_weights_only(trained_work_dir):
    out = run_upstream(f"""
        import pickle, torch
        try:
            torch.load({str(trained_work_dir / 'iter_2.pth')!r})
        except pickle.UnpicklingError as e:
            assert 'HistoryBuffer' in str(e), e
            print('UPSTREAM-BROKEN')
        """)
    assert 'UPSTREAM-BROKEN' in out


def test_runner_checkpoint_globals_are_the_expected_ones(trained_work_dir):
    # If mmengine starts storing new objects, this names them.
    from torch.serialization import get_unsafe_globals_in_checkpoint
    found = set(get_unsafe_globals_in_checkpoint(
        str(trained_work_dir / 'iter_2.pth')))
    assert found <= {
        'mmengine.logging.history_buffer.HistoryBuffer',
        'numpy._core.multiarray._reconstruct',
        'numpy._core.multiarray.scalar', 'numpy.dtype', 'numpy.ndarray',
        'builtins.getattr'
    }, found


def test_runner_resume_and_load_from(trained_work_dir):
    from mmengine.hooks import Hook

    from mmengine.logging import HistoryBuffer

    class RecordStart(Hook):

        def before_train(self, runner):
            self.start_iter = runner.iter

    final = torch.load(str(trained_work_dir / 'iter_4.pth'))  # weights_only
    loss = final['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer) and loss.data[0].shape == (4, )

    record = RecordStart()
    resumed = _toy_runner(
        trained_work_dir / 'resumed',
        resume=True,
        load_from=str(trained_work_dir / 'iter_2.pth'),
        custom_hooks=[record])
    resumed.train()
    assert record.start_iter == 2
    assert resumed.iter == 4
    torch.testing.assert_close(resumed.model.linear.weight.detach(),
                               final['state_dict']['linear.weight'])

    loaded = _toy_runner(
        trained_work_dir / 'loaded',
        load_from=str(trained_work_dir / 'iter_4.pth'))
    loaded.load_or_resume()
    torch.testing.assert_close(loaded.model.linear.weight.detach(),
                               final['state_dict']['linear.weight'])


def test_numpy1_checkpoint_names_load(tmp_path):
    # numpy 1.x pickles name ``numpy.core.multiarray``; numpy 2 ``_core``.
    buf = io.BytesIO()
    torch.save({'array': np.arange(3), 'scalar': np.float64(1.5)}, buf)
    path = tmp_path / 'numpy1.pth'
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, \
            zipfile.ZipFile(path, 'w') as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.endswith('data.pkl'):
                assert b'numpy._core.multiarray' in data
                data = data.replace(b'numpy._core.multiarray',
                                    b'numpy.core.multiarray')
            zout.writestr(name, data)
    loaded = torch.load(str(path))
    np.testing.assert_array_equal(loaded['array'], [0, 1, 2])
    assert loaded['scalar'] == 1.5


class _GetattrPayload:

    def __reduce__(self):
        return getattr, (np.ndarray, 'tolist')


def test_weights_only_still_refuses_other_getattr(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'x': _GetattrPayload()}, path)
    with pytest.raises(pickle.UnpicklingError,
                       match='only HistoryBuffer methods'):
        torch.load(path)


# ---------------------------------------------------------------------------
# 2. numpy 2 removed np.in1d (used by mmpretrain's retrieval metrics)


def test_in1d_upstream_missing():
    # Reads mmpretrain's source instead of importing it: that takes seconds.
    out = run_upstream("""
        import importlib.util, os.path as osp
        import numpy as np
        spec = importlib.util.find_spec('mmpretrain')
        root = spec.submodule_search_locations[0]
        path = osp.join(root, 'evaluation', 'metrics', 'retrieval.py')
        with open(path) as f:
            used = 'np.in1d(' in f.read()
        if used and not hasattr(np, 'in1d'):
            print('UPSTREAM-BROKEN')
        """)
    assert 'UPSTREAM-BROKEN' in out


def test_retrieval_recall_with_in1d():
    from mmpretrain.evaluation.metrics import RetrievalRecall
    pred = torch.tensor([[0.9, 0.8, 0.1, 0.0],   # ranking 0, 1, 2, 3
                         [0.1, 0.2, 0.9, 0.8],   # ranking 2, 3, 1, 0
                         [0.5, 0.9, 0.1, 0.7]])  # ranking 1, 3, 0, 2
    target = [[1], [0], [1, 3]]
    recalls = RetrievalRecall.calculate(pred, target, topk=(1, 2),
                                        target_indices=True)
    # top-1 hits only sample 2; top-2 hits samples 0 and 2.
    assert [float(r) for r in recalls] == pytest.approx([100 / 3, 200 / 3])
    np.testing.assert_array_equal(
        np.in1d([[1, 5], [3, 7]], [[3], [5]]), [False, True, True, False])


# ---------------------------------------------------------------------------
# 3. mmcv's adjust_hue under numpy 2


def _hue_reference(img_bgr, hue_factor):
    """torchvision's float adjust_hue, as a uint8 BGR array."""
    import torchvision.transforms.functional as F
    rgb = torch.from_numpy(img_bgr[..., ::-1].copy()).permute(2, 0, 1)
    out = F.adjust_hue(rgb.float() / 255, hue_factor)
    out = (out.permute(1, 2, 0).numpy()[..., ::-1] * 255).round()
    return out.astype(np.int64)


def test_adjust_hue_upstream_overflows():
    out = run_upstream("""
        import numpy as np, mmcv
        img = np.random.default_rng(0).integers(0, 256, (8, 8, 3), np.uint8)
        for backend in ('cv2', 'pillow'):
            try:
                mmcv.adjust_hue(img, -0.1, backend=backend)
            except OverflowError as e:
                print('UPSTREAM-BROKEN', e)
        """)
    assert out.count('UPSTREAM-BROKEN') == 2, out


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('hue_factor', [0.1, -0.1, np.float64(-0.37), 0.5])
def test_adjust_hue_matches_float_reference(backend, hue_factor):
    import mmcv
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)
    out = mmcv.adjust_hue(img, hue_factor, backend=backend)
    assert out.dtype == np.uint8 and out.shape == img.shape
    diff = np.abs(out.astype(np.int64) - _hue_reference(img, hue_factor))
    assert diff.max() <= 1


def test_adjust_hue_grey_image_unchanged():
    import mmcv
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(mmcv.adjust_hue(grey, 0.3), grey)


def test_adjust_hue_every_reference_patched():
    import mmcv
    import mmcv.image
    import mmcv.image.photometric
    for func in (mmcv.adjust_hue, mmcv.image.adjust_hue,
                 mmcv.image.photometric.adjust_hue):
        assert func is compat._adjust_hue


def test_patches_apply_when_stack_imported_before_semmim():
    out = subprocess.run([
        sys.executable, '-c', 'import numpy as np, mmcv, semmim\n'
        'img = np.zeros((4, 4, 3), np.uint8); img[..., 2] = 255\n'
        'print(mmcv.adjust_hue(img, -0.5)[0, 0].tolist())'
    ],
                         capture_output=True,
                         text=True,
                         timeout=120,
                         cwd=osp.dirname(osp.dirname(semmim.__file__)))
    # Pure red (BGR) rotated half a turn is cyan.
    assert out.stdout.strip() == '[255, 255, 0]', out.stdout + out.stderr


def test_when_imported_runs_now_or_later(tmp_path, monkeypatch):
    (tmp_path / 'semmim_compat_probe.py').write_text('VALUE = 1\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    compat._when_imported('semmim_compat_probe', lambda m: seen.append(m))
    assert seen == []
    import semmim_compat_probe
    assert seen == [semmim_compat_probe]
    compat._when_imported('semmim_compat_probe', lambda m: seen.append(m))
    assert seen == [semmim_compat_probe] * 2
    del sys.modules['semmim_compat_probe']


# ---------------------------------------------------------------------------
# 4. pseudo_collate vs. mmpretrain's data preprocessors


def _samples(batch_size, views=None):
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(batch_size)

    def img():
        return torch.randint(0, 256, (3, 4, 5), dtype=torch.uint8,
                             generator=gen)

    return [
        dict(inputs=img() if views is None else [img() for _ in range(views)],
             data_samples=DataSample()) for _ in range(batch_size)
    ]


def _normalised(img):
    # BGR -> RGB, then (x - mean) / std with the values used below.
    return (img.flip(0).float() - torch.tensor([1., 2., 3.]).view(3, 1, 1)) / 2


NORM = dict(mean=[1., 2., 3.], std=[2., 2., 2.], to_rgb=True)


def test_runner_default_collate_is_still_pseudo_collate():
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(
        dict(dataset=list(range(4)), sampler=dict(type='DefaultSampler'),
             batch_size=2))
    assert loader.collate_fn.func is pseudo_collate  # a functools.partial


@pytest.mark.parametrize('batch_size', [2, 3])
def test_multimodal_preprocessor_pseudo_collate_silently_wrong(batch_size):
    from mmengine.dataset import default_collate, pseudo_collate
    from mmpretrain.models.utils.data_preprocessor import \
        MultiModalDataPreprocessor
    preprocessor = MultiModalDataPreprocessor(**NORM)
    samples = _samples(batch_size)
    expected = torch.stack([_normalised(s['inputs']) for s in samples])

    # A list of (C, H, W) images is read as time steps: stacked on dim 1 to
    # (C, B, H, W), without the RGB flip. Nothing raises, and at B == C == 3
    # even the shape looks right.
    wrong = preprocessor(pseudo_collate(samples))['images']
    assert wrong.shape == (3, batch_size, 4, 5)
    assert not (wrong.shape == expected.shape
                and torch.allclose(wrong, expected))

    right = preprocessor(default_collate(samples))['images']
    torch.testing.assert_close(right, expected)


def test_selfsup_preprocessor_pseudo_collate_silently_wrong():
    from mmengine.dataset import default_collate, pseudo_collate
    from mmpretrain.models.utils.data_preprocessor import \
        SelfSupDataPreprocessor
    preprocessor = SelfSupDataPreprocessor(**NORM)
    samples = _samples(2)

    # The per-sample list is taken for a list of views: the "channel" flip
    # indexes the height axis, so each image comes out as 3 rows, no error.
    wrong = preprocessor(pseudo_collate(samples))['inputs']
    assert [tuple(w.shape) for w in wrong] == [(3, 3, 5), (3, 3, 5)]

    right = preprocessor(default_collate(samples))['inputs']
    torch.testing.assert_close(
        right, torch.stack([_normalised(s['inputs']) for s in samples]))

    # Two views per sample: one (B, C, H, W) batch per view.
    samples = _samples(2, views=2)
    right = preprocessor(default_collate(samples))['inputs']
    for view, batch in enumerate(right):
        torch.testing.assert_close(
            batch,
            torch.stack([_normalised(s['inputs'][view]) for s in samples]))


def test_check_collate_fn():
    from mmengine import Config
    good = dict(batch_size=2, collate_fn=dict(type='default_collate'))
    cfg = Config(
        dict(train_dataloader=good, val_dataloader=None,
             test_dataloader=good),
        cfg_text='# toy',  # else Config reads `filename` from disk
        filename='configs/semmim/toy.py')
    compat.check_collate_fn(cfg)

    for key, loader in [('train_dataloader', dict(batch_size=2)),
                        ('test_dataloader',
                         dict(batch_size=2,
                              collate_fn=dict(type='pseudo_collate')))]:
        bad = Config(dict(cfg.to_dict(), **{key: loader}),
                     cfg_text='# toy',
                     filename='configs/semmim/toy.py')
        with pytest.raises(ValueError) as err:
            compat.check_collate_fn(bad)
        message = str(err.value)
        assert '\n' not in message
        assert message.startswith(f'configs/semmim/toy.py: {key} ')


def test_check_collate_fn_on_built_dataloaders():
    from mmengine import Config
    from mmengine.runner import Runner

    def built(**collate):
        loader = Runner.build_dataloader(
            dict(dataset=list(range(4)), sampler=dict(type='DefaultSampler'),
                 batch_size=2, **collate))
        return Config(dict(train_dataloader=loader), cfg_text='#',
                      filename='toy.py')

    compat.check_collate_fn(built(collate_fn=dict(type='default_collate')))
    with pytest.raises(ValueError, match='^toy.py: train_dataloader '):
        compat.check_collate_fn(built())


# ---------------------------------------------------------------------------
# 5. mmpretrain backbones' train()/eval() return None


def test_vit_train_upstream_returns_none():
    out = run_upstream("""
        from mmpretrain.models import VisionTransformer
        vit = VisionTransformer(arch='deit-tiny', img_size=32, patch_size=16)
        if vit.eval() is None and vit.train() is None:
            print('UPSTREAM-BROKEN')
        """)
    assert 'UPSTREAM-BROKEN' in out


def test_vit_train_and_eval_return_self():
    from mmpretrain.models import VisionTransformer
    from mmpretrain.models.selfsup.mocov3 import MoCoV3ViT
    vit = VisionTransformer(arch='deit-tiny', img_size=32, patch_size=16)
    assert vit.eval() is vit and not vit.training
    assert not any(m.training for m in vit.modules())
    assert vit.train() is vit and vit.training
    vit.eval().requires_grad_(False)
    assert not any(p.requires_grad for p in vit.parameters())

    # An override with its own side effects keeps them.
    moco = MoCoV3ViT(arch='deit-tiny', img_size=32, patch_size=16,
                     frozen_stages=1)
    assert moco.train() is moco and moco.training
    assert not moco.patch_embed.training
    assert not any(p.requires_grad for p in moco.patch_embed.parameters())


# ---------------------------------------------------------------------------
# All fixes together


def test_apply_all_is_idempotent():
    import mmcv
    from mmpretrain.models import VisionTransformer
    before = (np.in1d, mmcv.adjust_hue, VisionTransformer.train)
    compat.apply_all()
    for fix in (compat.apply_torch_safe_globals, compat.apply_numpy_in1d,
                compat.apply_mmcv_adjust_hue,
                compat.apply_train_returns_self):
        fix()
    assert (np.in1d, mmcv.adjust_hue, VisionTransformer.train) == before
