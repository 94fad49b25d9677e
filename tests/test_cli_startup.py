"""`ganmash --help` starts fast: listing the commands imports none of the heavy libraries; and the CLI's list of
user errors names classes that exist."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from ganwriting_mashcima.errors import USER_ERROR_CLASSES

HEAVY = ("torch", "numpy", "cv2", "mashcima", "matplotlib", "experiments")


def test_help_imports_no_heavy_library():
    code = ("import sys\nfrom ganwriting_mashcima.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout


@pytest.mark.parametrize("module, name", USER_ERROR_CLASSES)
def test_each_named_user_error_exists(module, name):
    assert issubclass(getattr(importlib.import_module(module), name), Exception)


def test_synthesize_pages_without_smashcima_says_how_to_install(tmp_path):
    """Where the smashcima extra is missing (simulated: its import fails), the command fails in one line."""
    code = ("import sys\nsys.modules['smashcima'] = None\nfrom ganwriting_mashcima.cli import main\n"
            f"main(['synthesize-pages', '--musicxml', 'x.musicxml', '--out', {str(tmp_path / 'out')!r}])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "Error: the Smashcima backend needs the smashcima extra: pip install -e '.[smashcima]' "
        "(or make venv-smashcima)"]
    assert not (tmp_path / "out").exists()
