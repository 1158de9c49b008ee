"""Downstream configs fit the pre-training configs they start from."""
import pytest
from mmengine.config import Config

# downstream config -> the pre-training config of its checkpoint
PAIRS = {
    'configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl.py':
    'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py',
    'configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py':
    'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py',
    'configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl.py':
    'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py',
    'configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl-v2.py':
    'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py',
    'configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2.py':
    'configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py',
}
# the pairs whose models are small enough to build here (72-token vocabulary)
V2 = sorted(k for k in PAIRS if k.endswith('-v2.py'))


@pytest.mark.parametrize('downstream', sorted(PAIRS))
def test_same_image_normalisation_and_tokenizer(downstream):
    pre = Config.fromfile(PAIRS[downstream]).model.data_preprocessor
    down = Config.fromfile(downstream).model.data_preprocessor
    for key in ('mean', 'std', 'tokenizer'):
        assert down.get(key) == pre.get(key), f'{downstream}: {key}'


@pytest.mark.parametrize('downstream', V2)
def test_v2_checkpoint_loads_without_mismatched_weights(downstream):
    """Every text part of a v2 downstream model has the fitted vocabulary
    of the v2 pre-training model, so its checkpoint loads whole."""
    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    from semmim.utils.checkpoint_io import match_state_dict
    register_all_modules()
    pre = MODELS.build(Config.fromfile(PAIRS[downstream]).model)
    cfg = Config.fromfile(downstream)
    assert cfg.train_dataloader.dataset.data_root == 'data/shapes_vl_v2/'
    assert cfg.test_dataloader.dataset.data_root == 'data/shapes_vl_v2/'
    down = MODELS.build(cfg.model)
    _, report = match_state_dict(down, pre.state_dict(), PAIRS[downstream])
    assert not report.mismatched and not report.mismatched_buffers, \
        report.summary(downstream)
    assert report.share == 1.0, report.summary(downstream)
