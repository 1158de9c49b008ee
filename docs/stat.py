"""Write docs/model_zoo.md from model-index.yml and the metafiles.

    python docs/stat.py            # rewrite docs/model_zoo.md
    python docs/stat.py --check    # exit 1 if it is out of date

The metafiles (``configs/*/metafile.yml``) are the source; edit them, then
run this script. tests/apis/test_model_index.py checks both agree.
"""
import argparse
import os.path as osp
import sys

from modelindex.load_model_index import load

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
OUT = osp.join(ROOT, 'docs', 'model_zoo.md')

SECTIONS = [
    ('configs/semmim/', 'Pre-training'),
    ('configs/retrieval/', 'Image-text retrieval'),
    ('configs/caption/', 'Image captioning'),
    ('configs/vqa/', 'Visual question answering'),
]
TASKS = {
    'Image-To-Text Retrieval': 'TR',
    'Text-To-Image Retrieval': 'IR',
    'Vision-Language Pre-training': '',
    'Image Caption': '',
    'Visual Question Answering': '',
}

HEADER = '''# Model zoo

Every config of semmim has a name: the config's file name, listed in
`model-index.yml` (OpenMMLab's format; one `metafile.yml` per config
folder). `semmim.apis.list_models(pattern)` lists the names,
`semmim.apis.get_model(name, pretrained=CKPT)` builds a model, and every
inferencer in `semmim.apis` takes a name, a config file or a model.
As in mmpretrain, `setup.py` puts the index, the configs and the tools
inside the package as `semmim/.mim`: copies in a wheel (`pip install .`),
where `mim search semmim` finds them, and links in an editable install
(`pip install -e .`; mim 0.3.9 looks for those in site-packages and misses
them, while `semmim.apis` reads the source tree).

No weights are released (`Weights: null`): train with the configs, then
pass your checkpoint as `pretrained`. Results are either **measured**
here (Shapes-VL, the synthetic data set that runs on a CPU; the command is
in the README) or the **paper**'s, with its table. The paper's ablations
report each pre-training after fine-tuning it on COCO retrieval (R@1) and
VQA v2 (test-dev accuracy).

```python
{quick_start}
```

Each inferencer takes `(model, pretrained=None, device=None)` (the device
defaults to CUDA when available), runs many inputs in batches under a
progress bar, saves a picture of each result with `show_dir=DIR`, and
returns plain dicts (`return_datasamples=True`: the model's data samples).
Retrieval answers in mmpretrain's form: per query, a list of
`{'match_score', 'sample_idx', 'text'}` (image to text) or
`{'match_score', 'sample_idx', 'sample': {'img_path'}}` (text to image),
plus the ITC `similarity`; `match_score` is the ITM logit for the items
the model re-ranks. `prototype_cache=FILE` keeps the gallery's features.
`semmim.apis.inference_model(name, *inputs, pretrained=CKPT)` picks the
inferencer of the model's task for one input, as mmpretrain's does;
`python tools/demo/vl_demo.py --help` does the same from the command line.

This page is generated from the metafiles by `python docs/stat.py`.
'''

# The Python quick start (README, docs): run as written, from the
# repository root, after `bash tools/demo.sh` and
# `bash tools/demo/downstream_shapes_vl.sh` (tests/apis/test_model_index.py
# runs it against random weights).
QUICK_START = '''\
from semmim import apis
image, ckpt = 'data/shapes_vl_v2/images/test/000000.png', 'work_dirs/demo/downstream'
retrieve = apis.ImageToTextRetrievalInferencer('semmim-retrieval_small_1xb64_shapes-vl-v2',
    prototype=['a red circle in the top left', 'a blue cross at the bottom right'], pretrained=f'{ckpt}/retrieval/iter_200.pth')
print(retrieve(image, topk=1)[0])  # [{'match_score': ..., 'sample_idx': ..., 'text': ...}]
caption = apis.ImageCaptionInferencer('semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2', f'{ckpt}/caption/iter_160.pth')
print(caption(image)[0]['pred_caption'])
vqa = apis.VisualQuestionAnsweringInferencer('configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py', f'{ckpt}/vqa/iter_500.pth')
print(vqa(image, 'how many objects are there?')[0]['pred_answer'])
print(apis.list_models('*shapes-vl-v2'))  # the names; a config file works as well'''  # noqa: E501


def load_models(root: str = ROOT) -> list:
    """The models of ``root/model-index.yml``, in index order."""
    index = load(osp.join(root, 'model-index.yml'))
    index.build_models_with_collections()
    return list(index.models)


def format_results(model) -> str:
    if not model.results:
        return '-'
    parts = []
    for r in model.results:
        prefix = TASKS.get(r.task, r.task)
        metrics = ', '.join(
            f'{(prefix + " ") if prefix else ""}{k} {v}'
            for k, v in r.metrics.items())
        parts.append(f'{r.dataset}: {metrics}')
    return '<br>'.join(parts)


def render(models: list) -> str:
    lines = [HEADER.replace("{quick_start}", QUICK_START)]
    for prefix, title in SECTIONS:
        rows = [m for m in models if m.config.startswith(prefix)]
        if not rows:
            continue
        lines += [f'## {title}', '',
                  '| name | data | resources | results | from | config |',
                  '|---|---|---|---|---|---|']
        for m in rows:
            meta = m.metadata.data if m.metadata else {}
            source = m.data.get('Results From') or '-'
            lines.append(
                f'| `{m.name}` | {meta.get("Training Data", "-")} '
                f'| {meta.get("Training Resources", "-")} '
                f'| {format_results(m)} | {source} '
                f'| [{osp.basename(m.config)}](../{m.config}) |')
        lines.append('')
    others = [m for m in models
              if not any(m.config.startswith(p) for p, _ in SECTIONS)]
    if others:
        raise ValueError(f'model-index.yml: {others[0].name}: config '
                         f'{others[0].config} is in no section of '
                         'docs/stat.py')
    return '\n'.join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='only check that docs/model_zoo.md is current')
    args = parser.parse_args(argv)
    text = render(load_models())
    if args.check:
        with open(OUT, encoding='utf-8') as f:
            if f.read() != text:
                print(f'{OUT} is out of date: run python docs/stat.py')
                return 1
        return 0
    with open(OUT, 'w', encoding='utf-8') as f:
        f.write(text)
    print(f'wrote {OUT}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
