"""The repository passes its linter (ruff.toml: pyflakes + pycodestyle)."""
import subprocess
import sys

from tests.conftest import REPO


def test_ruff_clean():
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '.'],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
