"""Convert a Hugging Face BERT into SemMIM's text towers.

From bert-base-uncased (a local directory, or its ``.bin``/``.safetensors``
file) it writes one file holding, with SemMIM's key prefixes:

* ``text_encoder.``  embeddings + layers 0-5;
* ``fusion_encoder.`` layers 6-11 (self-attention, FFN; cross-attention is
  not written and stays random);
* ``plm_head.decoder.`` embeddings, layers 0-11 and the MLM head as the LM
  head (cross-attention random);
* ``mlm_head.`` the MLM head (transform and bias) of the fusion output.

Example::

    python tools/model_converters/bert_to_semmim.py \
        data/pretrained/bert-base-uncased \
        data/pretrained/bert-base-uncased_semmim.pth --verify

``--vocab-size`` grows the vocabulary (after adding special tokens to the
tokenizer) consistently in every tower and head. See
docs/pretrained_weights.md.
"""
import argparse
import json
import os.path as osp
import sys

import torch

try:
    from semmim.models.utils import checkpoint_converters as cc
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0,
                    osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from semmim.models.utils import checkpoint_converters as cc
from semmim.utils import resolve_path

DTYPES = dict(fp32=torch.float32, fp16=torch.float16, keep=None)

#: ``BertConfig`` fields a SemMIM part's ``bert_cfg`` may need to copy.
CONFIG_FIELDS = ('vocab_size', 'hidden_size', 'num_attention_heads',
                 'intermediate_size', 'hidden_act', 'max_position_embeddings',
                 'type_vocab_size', 'layer_norm_eps', 'pad_token_id')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Hugging Face BERT -> SemMIM text encoder, fusion '
        'encoder, decoder and MLM head')
    parser.add_argument('src', help='Hugging Face BERT directory (or its '
                        'weights file); pkg:// paths work')
    parser.add_argument('dst', help='output .pth file')
    parser.add_argument('--text-layers', type=int, default=6,
                        help='layers of the text encoder (default 6)')
    parser.add_argument('--fusion-layers', type=int, default=None,
                        help='fusion layers to fill (default: the layers '
                        'after the text encoder\'s)')
    parser.add_argument('--decoder-layers', type=int, default=None,
                        help='decoder layers to fill (default: all)')
    parser.add_argument('--vocab-size', type=int, default=None,
                        help='grow the vocabulary to this size (len of the '
                        'tokenizer after adding special tokens)')
    parser.add_argument('--dtype', default='fp32', choices=list(DTYPES))
    parser.add_argument('--verify', action='store_true',
                        help='compare our text encoder with transformers\' '
                        'BertModel (src must be a directory with '
                        'config.json)')
    parser.add_argument('--atol', type=float, default=1e-4)
    return parser.parse_args(argv)


def bert_cfg_of(src: str, vocab_size=None) -> dict:
    """The ``bert_cfg`` fields of ``src``'s config.json that differ from
    bert-base-uncased (what a config must set for this checkpoint)."""
    from semmim.models.utils.bert import BERT_BASE
    path = osp.join(resolve_path(src), 'config.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        config = json.load(f)
    if vocab_size is not None:
        config['vocab_size'] = vocab_size
    base = dict(BERT_BASE, hidden_act='gelu')
    return {k: config[k] for k in CONFIG_FIELDS
            if k in config and config[k] != base.get(k)}


def verify(src: str, state: dict, text_layers: int, atol: float) -> bool:
    """Our text encoder vs ``BertModel.hidden_states[text_layers]``, and the
    fusion/decoder layers vs BERT's weights (exact)."""
    from transformers import BertModel

    from semmim.models.backbones.bert_text_encoder import BertTextEncoder
    path = resolve_path(src)
    if not osp.isfile(osp.join(path, 'config.json')):
        print('--verify needs a Hugging Face directory with config.json; '
              'skipped')
        return True
    ref = BertModel.from_pretrained(
        path, local_files_only=True, add_pooling_layer=False).eval()
    prefix = cc.TEXT_PREFIX
    # the converted vocabulary may be larger (--vocab-size); inputs below
    # use the checkpoint's own tokens only
    vocab = state[prefix + 'bert.embeddings.word_embeddings.weight'].shape[0]
    ours = BertTextEncoder(
        num_layers=text_layers,
        bert_cfg=dict(bert_cfg_of(src), vocab_size=vocab))
    ours.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                          if k.startswith(prefix)}, strict=True)
    ours.eval()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, ref.config.vocab_size, (2, 16), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    with torch.no_grad():
        want = ref(input_ids=ids, attention_mask=mask,
                   output_hidden_states=True).hidden_states[text_layers]
        got = ours(ids, mask)
    diff = (got - want).abs().max().item()
    ok = diff <= atol
    print(f'verify: max |text encoder - BertModel.hidden_states'
          f'[{text_layers}]| = {diff:.3g}: {"OK" if ok else "MISMATCH"}')
    ref_state = ref.state_dict()
    bad = []
    for key, value in state.items():
        for part in (cc.FUSION_PREFIX + 'layers.', cc.DECODER_PREFIX +
                     'lm.bert.encoder.layer.'):
            if key.startswith(part):
                i, rest = key[len(part):].split('.', 1)
                i = int(i) + (text_layers if part.startswith(
                    cc.FUSION_PREFIX) else 0)
                if not torch.equal(value,
                                   ref_state[f'encoder.layer.{i}.{rest}']):
                    bad.append(key)
    print(f'verify: fusion and decoder layers equal BERT\'s: '
          f'{"OK" if not bad else bad[:5]}')
    return ok and not bad


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f'reading {args.src}')
    state, notes = cc.convert_hf_bert(
        cc.read_state_dict(args.src),
        text_layers=args.text_layers,
        fusion_layers=args.fusion_layers,
        decoder_layers=args.decoder_layers,
        vocab_size=args.vocab_size,
        dtype=DTYPES[args.dtype])
    for note in notes:
        print(f'  {note}')
    bert_cfg = bert_cfg_of(args.src, args.vocab_size)
    if bert_cfg:
        print(f'  not bert-base shaped: give every BERT part and the MLM '
              f'head bert_cfg={bert_cfg}')
    meta = dict(
        converter='tools/model_converters/bert_to_semmim.py',
        source=osp.abspath(resolve_path(args.src)), notes=notes,
        text_layers=args.text_layers, bert_cfg=bert_cfg)
    cc.save_converted(state, args.dst, meta)
    parts = sorted({p for p in (cc.TEXT_PREFIX, cc.FUSION_PREFIX,
                                cc.DECODER_PREFIX, cc.MLM_PREFIX)
                    if any(k.startswith(p) for k in state)})
    print(f'wrote {len(state)} tensors to {args.dst}\nconfig: for each '
          f'part in {parts}: init_cfg=dict(type=\'Pretrained\', '
          f'checkpoint={args.dst!r}, prefix=<part>)')
    if args.verify and not verify(args.src, state, args.text_layers,
                                  args.atol):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
