"""Placeholder: being written (see tests/test_compat.py)."""


def apply_all():
    pass
