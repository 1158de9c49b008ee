"""Converters from the publishers' formats of the datasets the paper uses
to the JSON layouts semmim's datasets read (see docs/preparing_data.md).

Command lines: ``tools/dataset_converters/<source>.py``.
"""
from .json_io import JsonListWriter, iter_json_array
from .karpathy import convert_coco_captions, convert_karpathy
from .nocaps import convert_nocaps
from .pretrain_4m import PAPER_COUNTS, assemble_pretrain_4m
from .report import ConversionError, ConversionReport
from .visual_genome import convert_vg_regions
from .vqa import build_answer_list, convert_vqa_v2
from .web_pairs import (convert_web_pairs, image_name, iter_cc3m_tsv,
                        iter_sbu_json, iter_sbu_txt)

__all__ = [
    'ConversionError', 'ConversionReport', 'JsonListWriter',
    'iter_json_array', 'convert_karpathy', 'convert_coco_captions',
    'convert_vqa_v2', 'build_answer_list', 'convert_vg_regions',
    'convert_web_pairs', 'iter_cc3m_tsv', 'iter_sbu_txt', 'iter_sbu_json',
    'image_name', 'convert_nocaps', 'assemble_pretrain_4m', 'PAPER_COUNTS'
]
