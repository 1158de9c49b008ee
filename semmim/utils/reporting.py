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


def format_metrics(metrics: Dict[str, float]) -> str:
    """A readable block for any metrics dict."""
    table = format_retrieval_table(metrics)
    if table:
        return table
    width = max((len(k) for k in metrics), default=0)
    return '\n'.join([''] + [f'{k:<{width}}  {v:.4f}' if isinstance(
        v, float) else f'{k:<{width}}  {v}' for k, v in metrics.items()])
