"""Write Shapes-VL pre-training annotations for scenes with few objects.

Example (the single-object images, as used by the configs in
projects/shapes_vl_code_purity/configs/ named ``*single-object*``)::

    python tools/dataset_converters/shapes_vl_subset.py \
        --data-root data/shapes_vl --max-objects 1 \
        --out annotations/pretrain_train_1-object.json
"""
import argparse
import os.path as osp
import sys

try:
    from semmim.datasets.shapes_vl.subset import write_subset
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0,
                    osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from semmim.datasets.shapes_vl.subset import write_subset


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='data/shapes_vl')
    parser.add_argument('--split', default='train')
    parser.add_argument('--min-objects', type=int, default=1)
    parser.add_argument('--max-objects', type=int, required=True)
    parser.add_argument('--out', required=True,
                        help='output file, relative to --data-root')
    args = parser.parse_args(argv)
    kept = write_subset(args.data_root, args.out, args.max_objects,
                        args.min_objects, args.split)
    print(f'wrote {osp.join(args.data_root, args.out)}: {len(kept)} images '
          f'with {args.min_objects}-{args.max_objects} objects')
    return 0


if __name__ == '__main__':
    sys.exit(main())
