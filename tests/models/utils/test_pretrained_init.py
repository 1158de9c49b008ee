"""Pretrained initialisation of a whole SemMIM model from converted files:
one clear error for a missing file, the pretraining config's wiring, and a
tiny model loaded end to end (momentum copies and tied heads included)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from transformers import (BertConfig, BertForPreTraining, CLIPVisionConfig,
                          CLIPVisionModel)

from semmim.models.utils import checkpoint_converters as cc
from semmim.models.utils.pretrained_init import check_pretrained_file
from semmim.registry import MODELS
from tests.conftest import TINY_BERT, tiny_batch, tiny_semmim_cfg

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
PRETRAIN_CFG = osp.join(ROOT, 'configs', 'semmim', 'pretrain_4m.py')


def pretrained(path, prefix):
    return dict(type='Pretrained', checkpoint=path, prefix=prefix)


@pytest.mark.parametrize('part, converter', [
    (dict(type='SemMIMVisionTransformer',
          arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                    feedforward_channels=64),
          img_size=32, patch_size=8), 'clip_to_semmim.py'),
    (dict(type='BertTextEncoder', num_layers=1, bert_cfg=TINY_BERT),
     'bert_to_semmim.py'),
    (dict(type='BertFusionEncoder', num_layers=1, bert_cfg=TINY_BERT),
     'bert_to_semmim.py'),
    (dict(type='BertDecoder', num_layers=1, bert_cfg=TINY_BERT),
     'bert_to_semmim.py'),
])
def test_missing_file_is_one_clear_error(part, converter, tmp_path):
    missing = str(tmp_path / 'nope' / 'weights.pth')
    module = MODELS.build(dict(part, init_cfg=pretrained(missing, 'x.')))
    with pytest.raises(FileNotFoundError) as err:
        module.init_weights()
    message = str(err.value)
    assert missing in message
    assert f'tools/model_converters/{converter}' in message
    assert part['type'] in message


def test_check_ignores_other_inits(tmp_path):
    check_pretrained_file(None, 'clip', 'x')
    check_pretrained_file(dict(type='Normal', std=0.02), 'clip', 'x')
    check_pretrained_file(pretrained('https://host/w.pth', 'x.'), 'clip', 'x')
    existing = tmp_path / 'w.pth'
    existing.write_bytes(b'')
    check_pretrained_file([dict(type='Normal'),
                           pretrained(str(existing), 'x.')], 'bert', 'x')


def test_pretrain_config_reads_converted_files():
    """The pretraining config initialises every pretrained part from the
    converters' two files, each part by its own prefix; building needs no
    file, initialising without them fails on the first, clearly."""
    cfg = Config.fromfile(PRETRAIN_CFG).model
    expect = {
        'vision_backbone': (cfg.vision_backbone, 'vision_backbone.'),
        'text_encoder': (cfg.text_encoder, 'text_encoder.'),
        'fusion_encoder': (cfg.fusion_encoder, 'fusion_encoder.'),
        'mlm_head': (cfg.mlm_head, 'mlm_head.'),
        'decoder': (cfg.plm_head.decoder, 'plm_head.decoder.'),
    }
    files = set()
    for name, (part, prefix) in expect.items():
        init = part.init_cfg
        assert init.type == 'Pretrained' and init.prefix == prefix, name
        assert init.checkpoint.startswith('data/pretrained/'), name
        files.add(init.checkpoint)
    assert len(files) == 2  # one per source model

    clip_file = cfg.vision_backbone.init_cfg.checkpoint
    if osp.exists(osp.join(ROOT, clip_file)):
        pytest.skip(f'{clip_file} exists in this checkout')
    model = MODELS.build(tiny_semmim_cfg(
        vision_backbone=dict(init_cfg=cfg.vision_backbone.init_cfg),
        text_encoder=dict(init_cfg=cfg.text_encoder.init_cfg)))
    with pytest.raises(FileNotFoundError, match='clip_to_semmim.py'):
        model.init_weights()


@pytest.fixture(scope='module')
def tiny_files(tmp_path_factory):
    """A tiny CLIP and a tiny BERT in Hugging Face's format, converted."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp('tiny_pretrained')
    clip = CLIPVisionModel(CLIPVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=3,
        num_attention_heads=2, image_size=32, patch_size=8,
        hidden_act='quick_gelu'))
    clip.save_pretrained(folder / 'clip')
    bert = BertForPreTraining(BertConfig(num_hidden_layers=3, **TINY_BERT))
    with torch.no_grad():  # not BERT's 0 biases: a swap would show
        for name, p in bert.named_parameters():
            if name.endswith('bias'):
                p.normal_(0, 0.02)
    bert.save_pretrained(folder / 'bert')
    clip_state, _ = cc.convert_clip(cc.read_state_dict(str(folder / 'clip')))
    bert_state, _ = cc.convert_hf_bert(
        cc.read_state_dict(str(folder / 'bert')), text_layers=2,
        fusion_layers=1, decoder_layers=1)
    paths = dict(clip=str(folder / 'clip.pth'), bert=str(folder / 'bert.pth'))
    cc.save_converted(clip_state, paths['clip'], meta={})
    cc.save_converted(bert_state, paths['bert'], meta={})
    return paths, dict(clip_state, **bert_state)


def test_tiny_semmim_loads_everything(tiny_files):
    paths, state = tiny_files
    clip, bert = paths['clip'], paths['bert']
    model = MODELS.build(tiny_semmim_cfg(
        vision_backbone=dict(init_cfg=pretrained(clip, 'vision_backbone.')),
        text_encoder=dict(init_cfg=pretrained(bert, 'text_encoder.')),
        fusion_encoder=dict(init_cfg=pretrained(bert, 'fusion_encoder.')),
        mlm_head=dict(init_cfg=pretrained(bert, 'mlm_head.')),
        plm_head=dict(decoder=dict(
            type='BertDecoder', num_layers=1, bert_cfg=TINY_BERT,
            init_cfg=pretrained(bert, 'plm_head.decoder.')))))
    model.init_weights()

    own = model.state_dict()
    for key, value in state.items():
        assert torch.equal(own[key], value), key
    # the EMA copies start from the loaded weights, not the random ones
    vis = model.momentum_vision.module['backbone']
    towers = model.momentum_towers.module
    for k, v in vis.state_dict().items():
        assert torch.equal(v, own['vision_backbone.' + k]), k
    for k, v in towers['text_encoder'].state_dict().items():
        assert torch.equal(v, own['text_encoder.' + k]), k
    assert model.mlm_head.cls.predictions.decoder.weight is \
        model.text_encoder.word_embeddings.weight

    losses = model.loss(**tiny_batch(model))
    assert all(torch.isfinite(v).all() for k, v in losses.items()
               if k.startswith('loss'))
