"""What produced a result: code (git commit), data (fingerprint), model (checkpoint sha256), library versions.

Every checkpoint, evaluation and benchmark result records these, so a figure can be traced to what made it and
reuse can key on content rather than on paths.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan.glyphset import GlyphSet

REPO_DIR = Path(__file__).resolve().parent.parent


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_fingerprint(glyphs: GlyphSet) -> str:
    """sha256 of a glyph set's content (every image, label, writer and the class list), 16 hex digits."""
    h = hashlib.sha256()
    h.update(repr(tuple(glyphs.classes)).encode())
    for a in (glyphs.images, glyphs.labels.astype(np.int64), glyphs.writers.astype(np.int64)):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def git_commit() -> str | None:
    """The commit of the ganmash checkout this runs from, with "+dirty" when it has uncommitted changes to
    tracked files; None outside a git checkout (an installed wheel)."""
    try:
        run = lambda *args: subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True,  # noqa: E731
                                           timeout=10, check=True).stdout.strip()
        commit = run("rev-parse", "HEAD")
        dirty = run("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def provenance() -> dict[str, Any]:
    """The code side: git commit and library versions."""
    import numpy

    return {"git_commit": git_commit(), "torch": str(torch.__version__), "numpy": str(numpy.__version__)}
