"""Contact sheet of Shapes-VL images with a caption under each one.

Used to eyeball that the captions agree with the pictures.
"""
from __future__ import annotations

import json
import os.path as osp
import textwrap

from PIL import Image, ImageDraw, ImageFont

from .writer import PREVIEW_NAME


def write_preview(out_dir: str,
                  num: int = 16,
                  columns: int = 4,
                  caption_index: int = 2,
                  cell: int = 224) -> str:
    """Write ``preview.png``: the first ``num`` train images with captions.

    Args:
        out_dir (str): Root of a generated dataset.
        num (int): Number of images to show.
        columns (int): Images per row.
        caption_index (int): Which of the 5 captions to print; the default
            (third) one is a relation or position caption, the most useful
            for checking spatial words.
        cell (int): Displayed image side in pixels.

    Returns:
        str: Path of the written PNG.
    """
    with open(
            osp.join(out_dir, 'annotations', 'pretrain_train.json'),
            encoding='utf-8') as f:
        items = json.load(f)[:num]
    try:
        font = ImageFont.load_default(size=13)
    except (TypeError, OSError):  # Pillow without FreeType
        font = ImageFont.load_default()
    chars_per_line = max(16, cell // 7)
    lines = []
    for i, it in enumerate(items):
        caption = it['caption'][min(caption_index, len(it['caption']) - 1)]
        lines.append(textwrap.wrap(f'{i}: {caption}', chars_per_line))
    text_h = 16 * max(len(ls) for ls in lines) + 8
    rows = (len(items) + columns - 1) // columns
    sheet = Image.new('RGB', (columns * cell, rows * (cell + text_h)), 'white')
    draw = ImageDraw.Draw(sheet)
    for k, (it, ls) in enumerate(zip(items, lines)):
        x, y = (k % columns) * cell, (k // columns) * (cell + text_h)
        with Image.open(osp.join(out_dir, it['image'])) as img:
            sheet.paste(
                img.convert('RGB').resize((cell, cell),
                                          Image.Resampling.LANCZOS), (x, y))
        for j, line in enumerate(ls):
            draw.text((x + 4, y + cell + 4 + 16 * j),
                      line,
                      fill='black',
                      font=font)
    path = osp.join(out_dir, PREVIEW_NAME)
    sheet.save(path)
    return path
