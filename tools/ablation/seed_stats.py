"""Statistics over seeds for tools/ablation: the mean, the sample
standard deviation and Student's t confidence interval of a set of runs,
and the paired comparison of two sets over matched seeds (paired t-test).

Student's t distribution is computed here (the regularised incomplete beta
function by its continued fraction), so the harness needs numpy only;
tests/tools/test_ablation_shapes_vl.py checks it against scipy.
"""
import math
from typing import Sequence

import numpy as np


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) +
                 a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def t_ppf(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t (bisection on :func:`t_sf`)."""
    if not 0.0 < q < 1.0:
        raise ValueError(f'quantile must be in (0, 1), got {q}')
    if q < 0.5:
        return -t_ppf(1.0 - q, df)
    lo, hi = 0.0, 1.0
    while t_sf(hi, df) > 1.0 - q:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_sf(mid, df) > 1.0 - q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def summarize(values: Sequence[float], level: float = 0.95) -> dict:
    """Mean, sample standard deviation and the t confidence interval of
    the mean (``ci`` is None for fewer than 2 values)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    out = dict(n=n, mean=float(x.mean()) if n else None, std=None, ci=None)
    if n >= 2:
        std = float(x.std(ddof=1))
        half = t_ppf(0.5 + level / 2.0, n - 1) * std / math.sqrt(n)
        out.update(std=std, ci=[out['mean'] - half, out['mean'] + half])
    return out


def paired(values: Sequence[float], reference: Sequence[float],
           level: float = 0.95) -> dict:
    """Paired comparison ``values - reference`` (matched seeds): mean
    difference, its t confidence interval, the two-sided paired t-test p
    value, and ``resolved`` (the interval excludes 0)."""
    d = np.asarray(values, float) - np.asarray(reference, float)
    out = summarize(d, level)
    out.update(t=None, p=None, resolved=False)
    n = len(d)
    if n < 2:
        return out
    if out['std'] == 0.0:
        # every seed moved by the same amount: no spread to test against
        out.update(p=1.0 if out['mean'] == 0.0 else 0.0,
                   resolved=out['mean'] != 0.0)
        return out
    t = out['mean'] / (out['std'] / math.sqrt(n))
    out.update(t=float(t), p=float(min(1.0, 2.0 * t_sf(abs(t), n - 1))),
               resolved=bool(out['ci'][0] > 0.0 or out['ci'][1] < 0.0))
    return out
