import numpy as np
import pytest
import torch
from PIL import Image

from semmim.apis import (ImageCaptionInferencer,
                         ImageToTextRetrievalInferencer,
                         TextToImageRetrievalInferencer,
                         VisualQuestionAnsweringInferencer)
from semmim.apis.base import load_image
from tests.apis.conftest import make

TEXTS = ['a red square', 'a green square!', 'a blue square', 'two stars']


def test_vqa_inferencer(tmp_path, images):
    config, ckpt = make(tmp_path, 'vqa')
    inferencer = VisualQuestionAnsweringInferencer(config, ckpt)
    # one image, several questions
    out = inferencer(images[0], ['What color is it?', 'how many shapes'])
    assert [r['question'] for r in out] == [
        'What color is it?', 'how many shapes']
    assert all(isinstance(r['pred_answer'], str) for r in out)
    # the same answer from a path, an array and a PIL image
    array = load_image(images[0])
    pil = Image.open(images[0])
    again = inferencer([images[0], array, pil], ['What color is it?'] * 3,
                       batch_size=2)
    assert [r['pred_answer'] for r in again] == [out[0]['pred_answer']] * 3
    with pytest.raises(ValueError, match='2 images for 3 questions'):
        inferencer(images[:2], ['a', 'b', 'c'])


def test_vqa_inferencer_appends_extra_fields(tmp_path, images):
    config, ckpt = make(tmp_path, 'vqa', extra_fields=dict(objects='object'))
    inferencer = VisualQuestionAnsweringInferencer(config, ckpt)
    out = inferencer(images[0], 'what is it?',
                     extras=[dict(objects=['circle', 'star'])])
    assert out[0]['question'] == 'what is it? object circle star'


def test_image_to_text_retrieval(tmp_path, images):
    config, ckpt = make(tmp_path, 'retrieval')
    inferencer = ImageToTextRetrievalInferencer(config, TEXTS,
                                                pretrained=ckpt)
    out = inferencer(images, topk=3)
    assert len(out) == 3
    for matches in out:
        assert len(matches) == 3
        scores = [m['match_score'] for m in matches]
        assert scores == sorted(scores, reverse=True)
        assert all(m['text'] == TEXTS[m['sample_idx']] for m in matches)
    # the two ITM re-ranked candidates are the two most ITC-similar texts
    model = inferencer.model
    feats = inferencer.image_features(images[:1], 1)
    sims = feats['image_feat'] @ inferencer.gallery['text_feat'].t()
    top2 = set(sims[0].topk(2).indices.tolist())
    assert {m['sample_idx'] for m in out[0][:2]} == top2
    # ITM scores as the retrieval model computes them
    idx = out[0][0]['sample_idx']
    expected = model.itm_scores(feats['image_embeds'],
                                inferencer.gallery['text_embeds'][idx:idx + 1],
                                inferencer.gallery['text_mask'][idx:idx + 1])
    assert out[0][0]['match_score'] == pytest.approx(float(expected[0]),
                                                     abs=1e-4)


def test_text_to_image_retrieval_from_a_folder(tmp_path, images):
    config, ckpt = make(tmp_path, 'retrieval')
    folder = str(tmp_path / 'images')
    inferencer = TextToImageRetrievalInferencer(config, folder,
                                                pretrained=ckpt)
    assert inferencer.images == images
    out = inferencer(['a red square', 'a blue square'], topk=2)
    assert len(out) == 2 and all(len(matches) == 2 for matches in out)
    assert all(m['sample']['img_path'] == images[m['sample_idx']]
               for matches in out for m in matches)
    # ITC-only model (topk=0): scores are the similarities
    inferencer.rerank_k = 0
    out = inferencer('a red square', topk=3)
    assert all(m['match_score'] == m['similarity'] for m in out[0])


def test_caption_inferencer(tmp_path, images):
    config, ckpt = make(tmp_path, 'caption')
    inferencer = ImageCaptionInferencer(config, ckpt)
    out = inferencer(images[:2], batch_size=1)
    assert len(out) == 2
    assert all(isinstance(r['pred_caption'], str) for r in out)


def test_weights_come_from_the_checkpoint(tmp_path, images):
    config, ckpt = make(tmp_path, 'vqa')
    state = torch.load(ckpt)['state_dict']
    inferencer = VisualQuestionAnsweringInferencer(config, ckpt)
    name = 'plm_head.decoder.lm.cls.predictions.bias'
    torch.testing.assert_close(inferencer.model.state_dict()[name],
                               state[name])


def test_bad_images_are_clear_errors(tmp_path, images):
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load_image(str(tmp_path / 'missing.png'))
    with pytest.raises(ValueError, match='colour image'):
        load_image(np.zeros((4, 4), np.uint8))
