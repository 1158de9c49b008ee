"""Command lines of the converters (``tools/dataset_converters/*.py``).

Each ``main_<source>(argv)`` parses its arguments, runs the converter,
prints the report and returns the exit code; a malformed input is one
line on stderr and exit code 1.
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Optional, Sequence

from .karpathy import convert_coco_captions, convert_karpathy
from .nocaps import convert_nocaps
from .pretrain_4m import SOURCE_FILES, assemble_pretrain_4m
from .visual_genome import convert_vg_regions
from .vqa import convert_vqa_v2
from .web_pairs import (DEFAULT_IMAGE_NAME, convert_web_pairs,
                        iter_cc3m_tsv, iter_sbu_json, iter_sbu_txt)


def _parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--out-root', default='data',
                        help='the data/ folder of the configs '
                        '(default: %(default)s)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='count and skip malformed entries instead of '
                        'stopping at the first')
    parser.add_argument('--no-progress', action='store_true',
                        help='hide progress bars')
    return parser


def _run(convert: Callable, args) -> int:
    try:
        report = convert()
    except (ValueError, FileNotFoundError) as e:  # ConversionError too
        hint = (' (--skip-bad counts and skips such entries)'
                if getattr(e, 'skippable', False) else '')
        print(f'error: {e}{hint}', file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def _common(args) -> dict:
    return dict(strict=not args.skip_bad, show_progress=not args.no_progress)


def main_coco(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser(
        'COCO captions -> retrieval, captioning and pre-training files. '
        'Karpathy\'s dataset_coco.json gives the split files; COCO\'s '
        'captions_*.json give the pre-training pairs (with --karpathy, '
        'without the Karpathy val/test images).')
    parser.add_argument('--karpathy', help='dataset_coco.json')
    parser.add_argument('--captions', nargs='+',
                        help='captions_train2014.json captions_val2014.json')
    parser.add_argument('--no-restval', action='store_true',
                        help='train on Karpathy\'s 82,783 "train" images '
                        'only (default: also the 30,504 "restval")')
    parser.add_argument('--image-folder',
                        help='image folder of --captions files whose file '
                        'names do not tell it (e.g. train2017)')
    args = parser.parse_args(argv)
    if not args.karpathy and not args.captions:
        parser.error('give --karpathy and/or --captions')

    def convert():
        reports = []
        if args.karpathy:
            reports.append(convert_karpathy(
                args.karpathy, 'coco', args.out_root,
                restval=not args.no_restval,
                pretrain=not args.captions, **_common(args)))
        if args.captions:
            reports.append(convert_coco_captions(
                args.captions, args.out_root, karpathy=args.karpathy,
                image_folder=args.image_folder, **_common(args)))
        return _Reports(reports)

    return _run(convert, args)


def main_flickr30k(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser('Flickr30k, Karpathy split (dataset_flickr30k.json) -> '
                     'retrieval files.')
    parser.add_argument('karpathy', help='dataset_flickr30k.json')
    args = parser.parse_args(argv)
    return _run(lambda: convert_karpathy(
        args.karpathy, 'flickr30k', args.out_root, **_common(args)), args)


def main_vqa_v2(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser('VQA v2 official files (+ Visual Genome QA) -> '
                     'ALBEF\'s question files and answer list.')
    parser.add_argument('--questions', nargs='+', required=True,
                        help='v2_OpenEnded_mscoco_{train2014,val2014,'
                        'test2015,test-dev2015}_questions.json')
    parser.add_argument('--annotations', nargs='*', default=[],
                        help='v2_mscoco_{train2014,val2014}_annotations.json')
    parser.add_argument('--out-dir',
                        help='default: <out-root>/vqa/annotations')
    parser.add_argument('--answer-min-count', type=int, default=9,
                        help='answers in the list occur at least this often '
                        '(default: %(default)s)')
    parser.add_argument('--vg-qa', help='Visual Genome question_answers.json')
    parser.add_argument('--vg-image-data', help='Visual Genome '
                        'image_data.json (image paths of --vg-qa)')
    parser.add_argument('--vg-listed-answers-only', action='store_true',
                        help='keep VG questions whose answer is in the '
                        'answer list')
    args = parser.parse_args(argv)
    out_dir = args.out_dir or f'{args.out_root}/vqa/annotations'
    return _run(lambda: convert_vqa_v2(
        args.questions, args.annotations, out_dir, args.answer_min_count,
        args.vg_qa, args.vg_image_data, args.vg_listed_answers_only,
        **_common(args)), args)


def main_visual_genome(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser('Visual Genome region descriptions -> pre-training '
                     'pairs (annotations/pretrain/vg.json).')
    parser.add_argument('--regions', required=True,
                        help='region_descriptions.json')
    parser.add_argument('--image-data', required=True,
                        help='image_data.json')
    parser.add_argument('--karpathy', help='dataset_coco.json: leave out '
                        'Karpathy val/test COCO images')
    parser.add_argument('--image-prefix', default='vg/',
                        help='VG image folder under --out-root '
                        '(default: %(default)s)')
    parser.add_argument('--min-region-frac', type=float, default=0.0,
                        help='leave out regions smaller than this fraction '
                        'of the image (default: keep all)')
    parser.add_argument('--max-per-image', type=int,
                        help='keep at most this many phrases per image')
    args = parser.parse_args(argv)
    return _run(lambda: convert_vg_regions(
        args.regions, args.image_data, args.out_root, args.image_prefix,
        args.karpathy, args.min_region_frac, args.max_per_image,
        **_common(args)), args)


def _web_args(parser: argparse.ArgumentParser, default_images: str):
    parser.add_argument('--images', help='folder of the downloaded images '
                        f'(default: <out-root>/{default_images})')
    parser.add_argument('--image-name', default=DEFAULT_IMAGE_NAME,
                        help='file of row i\'s image under --images; fields '
                        '{index} {shard} {url_name} {crc32} {md5} {sha1} '
                        '(default: img2dataset\'s layout, %(default)s)')
    parser.add_argument('--shard-size', type=int, default=10000,
                        help='rows per {shard} (default: %(default)s)')
    parser.add_argument('--no-image-check', action='store_true',
                        help='do not check that image files exist')


def main_cc3m(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser('Conceptual Captions (CC3M) TSV + downloaded images -> '
                     'annotations/pretrain/cc3m_{train,val}.json.')
    parser.add_argument('tsv', help='Train_GCC-training.tsv or '
                        'Validation_GCC-1.1.0-Validation.tsv')
    parser.add_argument('--split', choices=('train', 'val'),
                        help='default: val if the TSV name says '
                        '"validation", else train')
    _web_args(parser, 'cc3m/<split>')
    args = parser.parse_args(argv)
    split = args.split or ('val' if 'valid' in args.tsv.lower() else 'train')
    images = args.images or f'{args.out_root}/cc3m/{split}'
    return _run(lambda: convert_web_pairs(
        iter_cc3m_tsv(args.tsv),
        f'{args.out_root}/annotations/pretrain/cc3m_{split}.json', images,
        args.out_root, args.image_name, args.shard_size,
        not args.no_image_check, f'CC3M {split} ({args.tsv})',
        **_common(args)), args)


def main_sbu(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser('SBU Captions + downloaded images -> '
                     'annotations/pretrain/sbu.json.')
    parser.add_argument('--urls', help='SBU_captioned_photo_dataset_urls.txt')
    parser.add_argument('--captions',
                        help='SBU_captioned_photo_dataset_captions.txt')
    parser.add_argument('--json', help='sbu-captions-all.json (instead of '
                        'the two text files)')
    _web_args(parser, 'sbu')
    args = parser.parse_args(argv)
    if bool(args.json) == bool(args.urls and args.captions):
        parser.error('give --urls and --captions, or --json')
    rows = (iter_sbu_json(args.json) if args.json else
            iter_sbu_txt(args.urls, args.captions))
    images = args.images or f'{args.out_root}/sbu'
    return _run(lambda: convert_web_pairs(
        rows, f'{args.out_root}/annotations/pretrain/sbu.json', images,
        args.out_root, args.image_name, args.shard_size,
        not args.no_image_check, 'SBU captions', **_common(args)), args)


def main_nocaps(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser('NoCaps (nocaps_val_4500_captions.json) -> checked '
                     'copy in <out-root>/nocaps/annotations/.')
    parser.add_argument('file', help='nocaps_val_4500_captions.json or '
                        'nocaps_test_image_info.json')
    parser.add_argument('--images', help='image folder to check (default: '
                        '<out-root>/nocaps/images/val if it exists)')
    args = parser.parse_args(argv)
    images = args.images or f'{args.out_root}/nocaps/images/val'
    return _run(lambda: convert_nocaps(
        args.file, args.out_root, images if osp.isdir(images) else None,
        **_common(args)), args)


def main_pretrain_4m(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser('Concatenate the pre-training files that exist (COCO, '
                     'VG, CC3M, SBU) into the list pretrain_4m.py reads, '
                     'and compare with the paper\'s 4M images.')
    parser.add_argument('--sources', nargs='+', choices=list(SOURCE_FILES),
                        help='default: all that exist')
    parser.add_argument('--check-images', action='store_true',
                        help='leave out (and count) entries whose image '
                        'file is missing')
    args = parser.parse_args(argv)
    return _run(lambda: assemble_pretrain_4m(
        args.out_root, args.sources, check_images=args.check_images,
        **_common(args)), args)


class _Reports:
    """Several reports printed one after the other."""

    def __init__(self, reports):
        self.reports = reports

    def summary(self) -> str:
        return '\n'.join(r.summary() for r in self.reports)


__all__ = ['main_coco', 'main_flickr30k', 'main_vqa_v2',
           'main_visual_genome', 'main_cc3m', 'main_sbu', 'main_nocaps',
           'main_pretrain_4m']
