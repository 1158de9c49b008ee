"""Plain-text tables of evaluation results for the terminal."""
from typing import Dict


def _get(metrics: Dict[str, float], key: str):
    for k, v in metrics.items():
        if k == key or k.endswith('/' + key):
            return v
    return None


def format_retrieval_table(metrics: Dict[str, float]) -> str:
    """TR/IR Recall@K next to a random ranking, or '' if not retrieval."""
    if _get(metrics, 'tr_r1') is None:
        return ''
    ks = sorted(int(k.rsplit('tr_r', 1)[1]) for k in metrics
                if k.rsplit('/', 1)[-1].startswith('tr_r'))
    lines = ['', 'Retrieval on the test split (percent):',
             f'{"":24}' + ''.join(f'{"R@" + str(k):>10}' for k in ks)]
    for name, key in (('image->text (TR)', 'tr'), ('text->image (IR)',
                                                     'ir')):
        model = [_get(metrics, f'{key}_r{k}') for k in ks]
        chance = [_get(metrics, f'chance_{key}_r{k}') for k in ks]
        lines.append(f'{name:<24}' + ''.join(f'{v:>10.2f}' for v in model))
        if all(c is not None for c in chance):
            lines.append(f'{"  random ranking":<24}' +
                         ''.join(f'{c:>10.2f}' for c in chance))
            lines.append(f'{"  x chance":<24}' + ''.join(
                f'{(m / c if c else float("inf")):>10.1f}'
                for m, c in zip(model, chance)))
    r_mean = _get(metrics, 'r_mean')
    if r_mean is not None:
        lines.append(f'{"mean recall":<24}{r_mean:>10.2f}')
    return '\n'.join(lines)


def format_caption_table(metrics: Dict[str, float]) -> str:
    """Caption scores next to the ``baseline/`` ones (the most frequent
    training caption, see ``COCOCaptionMetric``), or '' if there are
    none."""
    pairs = []
    for k, v in metrics.items():
        if '/baseline/' in k or k.startswith('baseline/'):
            continue
        # 'baseline/' goes after the metric's prefix, if it has one
        prefix, _, rest = k.partition('/')
        candidates = [(k, f'baseline/{k}')]
        if rest:
            candidates.append((rest, f'{prefix}/baseline/{rest}'))
        for name, base in candidates:
            if base in metrics:
                pairs.append((name, v, metrics[base]))
                break
    if not pairs:
        return ''
    lines = ['', 'Captioning on the test split (percent, CIDEr x 100):',
             f'{"":24}{"model":>10}{"baseline":>10}  (the most frequent '
             'training caption for every image)']
    lines += [f'{k:<24}{v:>10.2f}{b:>10.2f}' for k, v, b in pairs]
    return '\n'.join(lines)


def format_metrics(metrics: Dict[str, float]) -> str:
    """A readable block for any metrics dict: the comparison table of
    retrieval, captioning or VQA when the metrics have their baselines,
    else one metric a line."""
    table = format_retrieval_table(metrics)
    if table:
        return table
    table = format_caption_table(metrics)
    if table:
        return table
    if _get(metrics, 'prior_acc') is not None:
        from semmim.evaluation.metrics.vqa_metric import format_vqa_table
        return '\n' + format_vqa_table(metrics)
    width = max((len(k) for k in metrics), default=0)
    return '\n'.join([''] + [f'{k:<{width}}  {v:.4f}' if isinstance(
        v, float) else f'{k:<{width}}  {v}' for k, v in metrics.items()])
