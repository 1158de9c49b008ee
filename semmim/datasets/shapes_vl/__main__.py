"""``python -m semmim.datasets.shapes_vl --out-dir data/shapes_vl``."""
import sys

from .cli import main

if __name__ == '__main__':
    sys.exit(main())
