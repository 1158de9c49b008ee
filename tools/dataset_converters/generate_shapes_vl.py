"""Generate Shapes-VL, the embedded synthetic vision-language dataset.

Example::

    python tools/dataset_converters/generate_shapes_vl.py \
        --out-dir data/shapes_vl --preview

Re-running with the same settings is a no-op (the existing ``meta.json`` is
checked); ``--overwrite`` forces regeneration. See
``semmim/datasets/shapes_vl/writer.py`` for the file formats.
"""
import os.path as osp
import sys

try:
    from semmim.datasets.shapes_vl.cli import main
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0,
                    osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from semmim.datasets.shapes_vl.cli import main

if __name__ == '__main__':
    sys.exit(main())
