"""Image loading that turns unreadable files into bad samples."""
from typing import Optional

from mmcv.transforms import LoadImageFromFile

from semmim.registry import TRANSFORMS
from ..bad_samples import BadSampleError


@TRANSFORMS.register_module()
class LoadImageOrSkip(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` that raises :class:`BadSampleError` for a
    missing, corrupt or truncated image, naming the file.

    The dataset then skips and counts the sample (training) or stops with
    that one line (evaluation). Decode with ``imdecode_backend='pillow'`` to
    catch truncated files too: OpenCV silently returns a partly grey image
    for a truncated JPEG, Pillow raises.

    Args:
        **kwargs: See :class:`mmcv.transforms.LoadImageFromFile`.
    """

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        try:
            out = super().transform(results)
        except FileNotFoundError:
            raise BadSampleError(f'{path}: image file not found') from None
        except (OSError, ValueError, AssertionError, SyntaxError) as e:
            # SyntaxError: Pillow's parsers raise it for some corrupt files
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise BadSampleError(f'{path}: cannot decode image ({msg})') \
                from None
        if out is None or out.get('img') is None or out['img'].size == 0:
            raise BadSampleError(f'{path}: cannot decode image')
        return out
