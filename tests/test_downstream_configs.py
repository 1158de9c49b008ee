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
}


@pytest.mark.parametrize('downstream', sorted(PAIRS))
def test_same_image_normalisation_and_tokenizer(downstream):
    pre = Config.fromfile(PAIRS[downstream]).model.data_preprocessor
    down = Config.fromfile(downstream).model.data_preprocessor
    for key in ('mean', 'std', 'tokenizer'):
        assert down.get(key) == pre.get(key), f'{downstream}: {key}'

