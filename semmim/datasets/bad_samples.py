"""What a dataset does with a sample it cannot use.

Long pre-training runs must not die mid-epoch on one unreadable image or one
empty caption. Transforms raise :class:`BadSampleError` for such a sample; the
dataset either re-raises it (``on_bad_sample='error'``, always in test mode)
or warns once per sample, counts it and fetches another. The count travels
with the next good sample (``data_sample.bad_samples_skipped``) so that
:class:`~semmim.engine.hooks.BadSampleLoggerHook` can log it from the main
process even when the data come from worker processes.
"""


class BadSampleError(Exception):
    """A sample that cannot be used: unreadable image, empty caption, ...

    The message must name the file (image or annotation) and, where known,
    the annotation entry, so that one line tells the user what to fix.
    """


ON_BAD_SAMPLE_CHOICES = ('skip', 'error')
