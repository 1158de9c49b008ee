"""Shapes-VL: a small, deterministic synthetic vision-language dataset.

Images of 1-3 coloured shapes on muted backgrounds with always-true
captions, VQA questions and per-pixel ground truth, written in the same
file formats as COCO / ALBEF / Karpathy / VQA v2 so every pipeline runs on
it unchanged. No module of this package imports torch (the parent
``semmim`` package may), which keeps generation fast and light.

Example:
    >>> from semmim.datasets.shapes_vl import generate_shapes_vl
    >>> generate_shapes_vl('data/shapes_vl')  # doctest: +SKIP
"""
from .language import (COLOR_WORDS, NUMBER_WORDS, POSITION_WORDS,
                       RELATION_WORDS, SHAPE_WORDS, SIZE_WORDS,
                       generate_captions, generate_questions, vocabulary)
from .preview import write_preview
from .scene import (BACKGROUNDS, COLORS, POSITIONS, RELATIONS, SHAPES, SIZES,
                    object_coverage, position_phrase, render_label_map,
                    render_scene, sample_scene, spatial_relation)
from .writer import (GENERATOR_VERSION, IMAGE_ID_OFFSET, SPLITS,
                     annotation_files, dataset_settings, generate_shapes_vl,
                     image_id, image_path, is_complete)

__all__ = [
    'generate_shapes_vl', 'sample_scene', 'render_scene', 'render_label_map',
    'object_coverage', 'position_phrase', 'spatial_relation',
    'generate_captions', 'generate_questions', 'vocabulary', 'write_preview',
    'is_complete', 'dataset_settings', 'annotation_files', 'image_id',
    'image_path', 'SHAPES', 'COLORS', 'SIZES', 'POSITIONS', 'RELATIONS',
    'BACKGROUNDS', 'SPLITS', 'IMAGE_ID_OFFSET', 'GENERATOR_VERSION',
    'SIZE_WORDS', 'COLOR_WORDS', 'SHAPE_WORDS', 'POSITION_WORDS',
    'RELATION_WORDS', 'NUMBER_WORDS'
]
