"""The README's quick start runs as written, at tiny sizes, so it cannot rot.

Blocks after a ``<!-- readme-test: shell -->`` or ``<!-- readme-test: python -->`` line are run: shell lines
through the real CLI in a fresh folder, Python blocks as a script. Only sizes change (``SHRINK``): fewer staves,
the cpu-smoke preset for one epoch, a few classes and writers, and MUSCIMA++ cut to the pages of three writers
(Mashcima would otherwise load all 121 training pages, most of the test's time). Everything else is the README's
text.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

README = Path(__file__).resolve().parent.parent / "README.md"
WRITERS = (1, 2, 3)  # the writers SHRINK names

SHRINK = (  # (pattern, replacement): the README's sizes -> test sizes
    (r"--count \d+", "--count 2"),
    (r"--preset cpu\b(?!-)", "--preset cpu-smoke --epochs 1 --val-writers 2"),
    (r"(data extract --out \S+)", r"\1 --size 32 --classes notehead-full,stem,sharp --writers 1,2,3"),
    (r"(evaluate .*)", r"\1 --n-generated 40 --classifier-steps 5"),
    (r"mashcima_provider\(ratio=0.5\)", "mashcima_provider(ratio=0.5, writers=[1, 2, 3])"),
)


def blocks(kind: str) -> list[str]:
    text = README.read_text()
    found = re.findall(rf"<!-- readme-test: {kind} -->\s*```[a-z]*\n(.*?)```", text, flags=re.S)
    assert found, f"the README has no block marked readme-test: {kind}"
    return found


def shrink(text: str) -> str:
    for pattern, replacement in SHRINK:
        text = re.sub(pattern, replacement, text)
    return text


@pytest.fixture(scope="module")
def three_writers_muscima(muscima_root, tmp_path_factory) -> Path:
    """MUSCIMA++ with only the pages of the writers the shrunk commands use (links to the real files): the same
    pages as the session's ``real_repository``, so Mashcima's cache of them is shared."""
    root = tmp_path_factory.mktemp("muscima-3-writers") / "v1.0"
    pages = root / "data" / "cropobjects_withstaff"
    pages.mkdir(parents=True)
    for page in (muscima_root / "data" / "cropobjects_withstaff").glob("CVC-MUSCIMA_W-*_N-*_D-ideal.xml"):
        if int(page.name.split("_")[1][2:]) in WRITERS:
            (pages / page.name).symlink_to(page)
    return root


@pytest.fixture
def in_fresh_folder(tmp_path, monkeypatch, three_writers_muscima, cache_dir):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANMASH_MUSCIMA_PP", str(three_writers_muscima))
    monkeypatch.setenv("GANMASH_CACHE_DIR", str(cache_dir))  # the session's cache: MUSCIMA++ parsed once
    return tmp_path


def test_the_readme_shell_quick_start_runs_as_written(in_fresh_folder):
    from ganwriting_mashcima.cli import main

    commands = [line.split("#")[0].strip() for block in blocks("shell") for line in block.splitlines()]
    commands = [c for c in commands if c]
    assert commands and all(c.startswith("ganmash ") for c in commands)
    for command in commands:
        result = CliRunner().invoke(main, shlex.split(shrink(command))[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
    assert (in_fresh_folder / "staves.png").is_file() and (in_fresh_folder / "mine.png").is_file()


def test_the_readme_python_example_runs_as_written(in_fresh_folder):
    for block in blocks("python"):
        run = subprocess.run([sys.executable, "-c", shrink(block)], capture_output=True, text=True, timeout=600,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert run.returncode == 0, run.stderr[-2000:]
