"""How well patch codes match the objects under the patches (Shapes-VL).

The pictures of Section 4.5 are judged by eye; on Shapes-VL every pixel's
object is known, so a number can stand beside them. Each patch gets a
ground-truth label from the scene's label map at patch resolution, and the
*purity* of a code assignment is

    purity = sum over codes of (size of the code's majority label) / patches

(1.0: every code holds one label only). Purity grows with the number of
codes, so it is only compared between assignments with the same number of
codes:

* ``random``: the model's codes shuffled over the patches (same code-size
  histogram, no relation to content), averaged over several shuffles;
* ``kmeans``: k-means on the patches' raw RGB pixels (model input
  resolution), with ``k`` = the number of codes the model used, i.e. the
  best a pixel-level (dVAE-like) grouping does without any learning.

Label spaces (all reported): ``object`` (object vs background), ``shape``,
``color`` and ``shape+color`` (background is one more label in each). As
most patches are background (about 90% on Shapes-VL at an 8 x 8 grid), the
purities over all patches are dominated by the background; the same
purities are therefore also reported over *object patches only* (the model's
codes of those patches; baselines recomputed on the same subset), which is
where shape and colour can be told apart.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

#: label spaces of :func:`patch_labels`
LABEL_SPACES = ('object', 'shape', 'color', 'shape+color')
BACKGROUND = 'background'


def patch_labels(scene: dict, grid: int,
                 min_fraction: float = 0.5) -> Dict[str, np.ndarray]:
    """Ground-truth labels of the patches of one Shapes-VL scene.

    A patch is labelled with the object covering most of its pixels if that
    object covers at least ``min_fraction`` of them, else background.

    Args:
        scene (dict): A scene of ``annotations/scenes_{split}.json``.
        grid (int): Patches per side (the model's ``h = w``).
        min_fraction (float): Smallest coverage of a patch by one object
            for the patch to take its label. 0.5 (default): the object
            covers at least half of the patch.

    Returns:
        dict: for every label space of :data:`LABEL_SPACES`, a
        ``(grid, grid)`` array of strings.
    """
    from semmim.datasets.shapes_vl import render_label_map
    label_map = render_label_map(scene)
    size = label_map.shape[0]
    if size % grid:
        raise ValueError(f'image side {size} is not a multiple of the '
                         f'{grid} x {grid} patch grid')
    q = size // grid
    blocks = label_map.reshape(grid, q, grid, q).transpose(0, 2, 1, 3)
    blocks = blocks.reshape(grid, grid, q * q)
    num_objects = len(scene['objects'])
    # (grid, grid, 1 + num_objects) pixel counts per label
    counts = np.stack([(blocks == i).sum(-1)
                       for i in range(num_objects + 1)], axis=-1)
    best = counts[..., 1:].argmax(-1) if num_objects else \
        np.zeros((grid, grid), np.int64)
    frac = np.take_along_axis(counts[..., 1:], best[..., None], -1)[..., 0] \
        / float(q * q) if num_objects else np.zeros((grid, grid))
    is_object = frac >= min_fraction
    out = {space: np.full((grid, grid), BACKGROUND, dtype=object)
           for space in LABEL_SPACES}
    for i, obj in enumerate(scene['objects']):
        where = is_object & (best == i)
        out['object'][where] = 'object'
        out['shape'][where] = obj['shape']
        out['color'][where] = obj['color']
        out['shape+color'][where] = f'{obj["color"]} {obj["shape"]}'
    return out


def scene_labels(scenes: Sequence[dict], grid: int,
                 min_fraction: float = 0.5) -> Dict[str, np.ndarray]:
    """:func:`patch_labels` of many scenes, stacked to ``(B, grid, grid)``."""
    per_scene = [patch_labels(s, grid, min_fraction) for s in scenes]
    return {space: np.stack([p[space] for p in per_scene])
            for space in LABEL_SPACES}


def purity(codes: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of items whose label is the majority label of their code.

    Args:
        codes (np.ndarray): Cluster id of each item (any shape).
        labels (np.ndarray): Label of each item (same shape; any hashable
            dtype).

    Returns:
        float: purity in ``(0, 1]``; ``nan`` for no items.
    """
    codes = np.asarray(codes).ravel()
    labels = np.asarray(labels).ravel()
    if codes.shape != labels.shape:
        raise ValueError(f'{codes.shape} codes but {labels.shape} labels')
    if codes.size == 0:
        return float('nan')
    _, label_ids = np.unique(labels, return_inverse=True)
    _, code_ids = np.unique(codes, return_inverse=True)
    table = np.zeros((code_ids.max() + 1, label_ids.max() + 1), np.int64)
    np.add.at(table, (code_ids, label_ids), 1)
    return float(table.max(1).sum() / codes.size)


def random_purity(codes: np.ndarray, labels: np.ndarray, repeats: int = 10,
                  seed: int = 0) -> Dict[str, float]:
    """Purity of the codes shuffled over the items (same histogram).

    Returns:
        dict: ``mean`` and ``std`` over ``repeats`` shuffles.
    """
    rng = np.random.default_rng(seed)
    codes = np.asarray(codes).ravel()
    values = [purity(rng.permutation(codes), labels) for _ in range(repeats)]
    return dict(mean=float(np.mean(values)), std=float(np.std(values)))


def kmeans_codes(features: np.ndarray, k: int, seed: int = 0,
                 n_init: int = 1, threads: Optional[int] = 1) -> np.ndarray:
    """k-means cluster ids of ``(n, d)`` features (scikit-learn, k-means++
    initialisation, Lloyd iterations).

    Args:
        features (np.ndarray): ``(n, d)``.
        k (int): Clusters (at most ``n``).
        seed (int): Defaults to 0.
        n_init (int): Restarts; one is enough for a baseline whose purity
            varies by about 0.01 between seeds. Defaults to 1.
        threads (int, optional): OpenMP threads of scikit-learn; on a
            shared machine its default (all cores) oversubscribes them and
            runs ten times slower. None keeps the default. Defaults to 1.
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    k = int(min(k, len(features)))
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    with threadpool_limits(limits=threads):
        return km.fit_predict(np.asarray(features, np.float32))


def nmi(codes: np.ndarray, labels: np.ndarray) -> float:
    """Normalised mutual information (arithmetic), robust to the label
    imbalance that purity is not."""
    from sklearn.metrics import normalized_mutual_info_score
    return float(normalized_mutual_info_score(
        np.asarray(labels).ravel().astype(str), np.asarray(codes).ravel()))


def compare_purity(codes: np.ndarray,
                   labels: Dict[str, np.ndarray],
                   pixels: Optional[np.ndarray] = None,
                   repeats: int = 10,
                   seed: int = 0,
                   threads: Optional[int] = 1) -> Dict[str, dict]:
    """Purity (and NMI) of the model's codes and of both baselines.

    Args:
        codes (np.ndarray): ``(B, h, w)`` model codes.
        labels (dict): ``{space: (B, h, w)}`` from :func:`scene_labels`.
        pixels (np.ndarray, optional): ``(B, h, w, D)`` raw patch pixels
            for the k-means baseline; skipped when None.
        repeats (int): Shuffles of the random baseline. Defaults to 10.
        seed (int): Seed of both baselines. Defaults to 0.
        threads (int, optional): k-means threads (see
            :func:`kmeans_codes`). Defaults to 1.

    Returns:
        dict: ``{'all': ..., 'objects': ...}``; each holds ``num_patches``,
        ``num_codes`` (used), and for every label space
        ``{'codes', 'random', 'random_std', 'kmeans', 'nmi_codes',
        'nmi_random', 'nmi_kmeans'}`` plus ``majority`` (the share of the
        most common label: the purity of a single cluster).
    """
    codes = np.asarray(codes)
    subsets = dict(all=np.ones(codes.shape, bool),
                   objects=labels['object'] != BACKGROUND)
    out = {}
    for name, keep in subsets.items():
        c = codes[keep]
        result = dict(num_patches=int(c.size),
                      num_codes=int(len(np.unique(c))))
        if c.size == 0:
            out[name] = result
            continue
        km = None
        if pixels is not None:
            km = kmeans_codes(pixels[keep], result['num_codes'], seed,
                              threads=threads)
        rng = np.random.default_rng(seed)
        shuffled = rng.permutation(c)
        spaces = LABEL_SPACES if name == 'all' else LABEL_SPACES[1:]
        for space in spaces:
            lab = labels[space][keep]
            _, n = np.unique(lab, return_counts=True)
            rnd = random_purity(c, lab, repeats, seed)
            entry = dict(codes=purity(c, lab), random=rnd['mean'],
                         random_std=rnd['std'],
                         majority=float(n.max() / lab.size),
                         nmi_codes=nmi(c, lab),
                         nmi_random=nmi(shuffled, lab))
            if km is not None:
                entry['kmeans'] = purity(km, lab)
                entry['nmi_kmeans'] = nmi(km, lab)
            result[space] = entry
        out[name] = result
    return out


def format_purity(result: Dict[str, dict]) -> str:
    """A table of :func:`compare_purity`'s result."""
    rows = []
    for subset, res in result.items():
        title = dict(all='all patches', objects='object patches only')[subset]
        rows.append(f'{title}: {res["num_patches"]} patches, '
                    f'{res["num_codes"]} codes used')
        rows.append(f'  {"labels":<13}{"codes":>8}{"random":>8}'
                    f'{"k-means":>9}{"1 cluster":>11}   NMI codes/rand/km')
        for space in LABEL_SPACES:
            if space not in res:
                continue
            e = res[space]
            km = f'{e["kmeans"]:>9.3f}' if 'kmeans' in e else f'{"-":>9}'
            nkm = f'{e["nmi_kmeans"]:.3f}' if 'nmi_kmeans' in e else '-'
            rows.append(f'  {space:<13}{e["codes"]:>8.3f}{e["random"]:>8.3f}'
                        f'{km}{e["majority"]:>11.3f}   {e["nmi_codes"]:.3f}/'
                        f'{e["nmi_random"]:.3f}/{nkm}')
    return '\n'.join(rows)


def majority_labels(codes: np.ndarray, labels: np.ndarray,
                    code_ids: Sequence[int]) -> List[str]:
    """``'<label> <share>%'`` of each code in ``code_ids`` (for captions)."""
    out = []
    codes = np.asarray(codes).ravel()
    labels = np.asarray(labels).ravel()
    for k in code_ids:
        lab = labels[codes == k]
        if lab.size == 0:
            out.append('')
            continue
        values, n = np.unique(lab, return_counts=True)
        out.append(f'{values[n.argmax()]} {100 * n.max() / lab.size:.0f}%')
    return out


def probe_features(features: Dict[str, np.ndarray],
                   labels: Dict[str, np.ndarray],
                   k: int,
                   pixels: Optional[np.ndarray] = None,
                   seed: int = 0,
                   threads: Optional[int] = 1) -> Dict[str, dict]:
    """k-means purity of patch features on object patches (a diagnostic).

    Not a baseline: it asks whether the *features* separate shape and
    colour when the codes do not (see
    :func:`~semmim.visualization.patch_codes.patch_features`). Features
    are L2-normalised and clustered into ``k`` groups (pass the number of
    codes the model uses on object patches, for comparison with them).

    Args:
        features (dict): ``{source: (B, h, w, C)}``.
        labels (dict): ``{space: (B, h, w)}`` from :func:`scene_labels`.
        k (int): Clusters.
        pixels (np.ndarray, optional): ``(B, h, w, D)`` raw pixels, listed
            first as ``raw pixels``.
        seed (int): k-means seed.
        threads (int, optional): k-means threads.

    Returns:
        dict: ``{source: {space: purity}}`` for shape, color, shape+color.
    """
    keep = labels['object'] != BACKGROUND
    sources = {}
    if pixels is not None:
        sources['raw pixels'] = pixels
    sources.update(features)
    out = {}
    for name, feats in sources.items():
        f = np.asarray(feats, np.float32)[keep]
        if name != 'raw pixels':
            f = f / np.maximum(np.linalg.norm(f, axis=-1, keepdims=True),
                               1e-12)
        clusters = kmeans_codes(f, k, seed, threads=threads)
        out[name] = {space: purity(clusters, labels[space][keep])
                     for space in LABEL_SPACES[1:]}
    return out


def format_probe(result: Dict[str, dict], k: int) -> str:
    """A table of :func:`probe_features`' result."""
    rows = [f'k-means (k={k}) on object patches, by feature source:',
            f'  {"source":<28}{"shape":>8}{"color":>8}{"shape+color":>13}']
    for name, e in result.items():
        rows.append(f'  {name:<28}{e["shape"]:>8.3f}{e["color"]:>8.3f}'
                    f'{e["shape+color"]:>13.3f}')
    return '\n'.join(rows)
