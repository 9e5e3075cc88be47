"""The lint is part of the tests: ruff's rules and its format over the project (the
files ``pyproject.toml`` names), and import-linter's layers of ``lcnec_utils``.

The same commands as ``make lint``, run with the environment's own tools (the
versions constraints.txt pins), so ``make test`` and CI fail on what they find.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "ruff check": ["ruff", "check", "--no-cache"],
    "ruff format": ["ruff", "format", "--check", "--no-cache"],
    "import layers": ["lint-imports", "--no-cache"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_the_project_passes(name):
    program, *args = COMMANDS[name]
    path = shutil.which(program, path=str(Path(sys.executable).parent)) or shutil.which(program)
    assert path, f"{program} is not installed: it is in the test extra (pip install -e '.[test]')"
    proc = subprocess.run([path, *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"{name} found problems:\n{proc.stdout}{proc.stderr}"
