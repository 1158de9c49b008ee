import os

import numpy as np
import pytest
import torch
from PIL import Image

from semmim.apis import (ImageCaptionInferencer,
                         ImageToTextRetrievalInferencer,
                         TextToImageRetrievalInferencer,
                         VisualQuestionAnsweringInferencer, get_model)
from semmim.apis import model as model_module
from semmim.apis.base import load_image
from semmim.apis.image_text_retrieval import load_texts
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


def test_show_dir_saves_a_picture_per_result(tmp_path, images):
    vis = tmp_path / 'vis'
    config, ckpt = make(tmp_path, 'caption')
    ImageCaptionInferencer(config, ckpt)(images[:2],
                                         show_dir=str(vis / 'caption'))
    config, ckpt = make(tmp_path, 'vqa')
    VisualQuestionAnsweringInferencer(config, ckpt)(
        images[0], ['what color?', 'how many?'], show_dir=str(vis / 'vqa'))
    config, ckpt = make(tmp_path, 'retrieval')
    ImageToTextRetrievalInferencer(config, TEXTS, pretrained=ckpt)(
        images, topk=2, show_dir=str(vis / 'i2t'))
    TextToImageRetrievalInferencer(config, images, pretrained=ckpt)(
        'a red square', topk=2, show_dir=str(vis / 't2i'), figsize=(4, 3))
    assert {d: sorted(os.listdir(vis / d)) for d in os.listdir(vis)} == {
        'caption': ['0.png', '1.png'], 'vqa': ['0_0.png', '0_1.png'],
        'i2t': ['0.png', '1.png', '2.png'], 't2i': ['0.png']}
    for d in os.listdir(vis):
        picture = load_image(str(vis / d / '0.png' if d != 'vqa'
                                 else vis / d / '0_0.png'))
        assert min(picture.shape[:2]) >= 40 and picture.std() > 0


def test_retrieval_prototype_cache_and_datasamples(tmp_path, images,
                                                   capsys):
    config, ckpt = make(tmp_path, 'retrieval')
    cache = tmp_path / 'texts.pth'
    capsys.readouterr()
    first = ImageToTextRetrievalInferencer(
        config, TEXTS, prototype_cache=str(cache), prepare_batch_size=1,
        pretrained=ckpt)
    # four texts one at a time: a progress bar (stderr)
    assert 'Preparing the prototype' in capsys.readouterr().err
    assert cache.is_file()
    samples = first(images, return_datasamples=True)
    assert samples[0].pred_score.shape == (len(TEXTS), )
    out = first(images, topk=len(TEXTS))
    for sample, matches in zip(samples, out):
        assert [m['sample_idx'] for m in matches] == \
            sample.pred_score.argsort(descending=True).tolist()
    # a second inferencer reads the features from the cache
    saved = torch.load(cache)
    saved['text_feat'] = -saved['text_feat']
    torch.save(saved, cache)
    second = ImageToTextRetrievalInferencer(
        config, TEXTS, prototype_cache=str(cache), prepare_batch_size=1,
        pretrained=ckpt)
    assert 'Preparing' not in capsys.readouterr().err
    torch.testing.assert_close(second.gallery['text_feat'],
                               -first.gallery['text_feat'])
    with pytest.raises(ValueError, match='texts.pth: features of 4 items, '
                       'but the prototype has 3'):
        ImageToTextRetrievalInferencer(config, TEXTS[:3], pretrained=ckpt,
                                       prototype_cache=str(cache))


def test_progress_bar_over_many_inputs(tmp_path, images, capsys):
    config, ckpt = make(tmp_path, 'caption')
    inferencer = ImageCaptionInferencer(config, ckpt)
    capsys.readouterr()
    one_batch = inferencer(images[:2], batch_size=2)
    assert 'Captioning' not in capsys.readouterr().err
    samples = inferencer(images[:2], batch_size=1, return_datasamples=True)
    assert 'Captioning' in capsys.readouterr().err
    assert [s.pred_caption for s in samples] == [
        r['pred_caption'] for r in one_batch]


def test_device_defaults_to_cuda_when_available(monkeypatch):
    seen = []

    def fake_get_model(model, pretrained, device, **kwargs):
        seen.append(device)
        raise RuntimeError('built')

    monkeypatch.setattr(model_module, 'get_model', fake_get_model)
    for available, device, expected in [(True, None, 'cuda'),
                                        (False, None, 'cpu'),
                                        (True, 'cpu', 'cpu')]:
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: available)
        with pytest.raises(RuntimeError, match='built'):
            ImageCaptionInferencer('a-model', device=device)
        assert seen[-1] == expected


def test_a_built_model_is_used_as_is(tmp_path, images):
    config, ckpt = make(tmp_path, 'vqa')
    model = get_model(config, pretrained=ckpt)
    by_model = VisualQuestionAnsweringInferencer(model)
    assert by_model.model is model
    by_config = VisualQuestionAnsweringInferencer(config, ckpt)
    assert by_model(images[0], 'what color?') == by_config(images[0],
                                                           'what color?')
    with pytest.raises(ValueError, match='load the weights first'):
        VisualQuestionAnsweringInferencer(model, pretrained=ckpt)


def test_texts_from_a_list_a_json_or_a_text_file(tmp_path):
    (tmp_path / 'a.txt').write_text('a red square\n\ntwo stars\n')
    assert load_texts(str(tmp_path / 'a.txt')) == ['a red square',
                                                   'two stars']
    (tmp_path / 'a.json').write_text(
        '[{"caption": ["a", "b"]}, {"caption": "c"}, "d"]')
    assert load_texts(str(tmp_path / 'a.json')) == ['a', 'b', 'c', 'd']
    with pytest.raises(FileNotFoundError, match='b.txt'):
        load_texts(str(tmp_path / 'b.txt'))
    (tmp_path / 'bad.json').write_text('[3]')
    with pytest.raises(ValueError, match='bad.json: expected a list'):
        load_texts(str(tmp_path / 'bad.json'))
