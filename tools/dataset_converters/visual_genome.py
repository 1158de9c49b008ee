"""Visual Genome region descriptions -> our JSON files.

``python tools/dataset_converters/visual_genome.py --help`` lists the options;
docs/preparing_data.md gives the command per dataset and the folder
tree it writes. The conversion lives in ``semmim/datasets/converters/``.
"""
import os.path as osp
import sys

# the checkout this script belongs to comes first, installed or not
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
from semmim.datasets.converters.cli import main_visual_genome as main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
