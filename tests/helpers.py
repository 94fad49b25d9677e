"""Small file and count helpers that several test files share (imported as ``from helpers import ...``: pytest puts
this folder on ``sys.path`` for its test files)."""
from __future__ import annotations

from pathlib import Path


def write_gold(path: Path, rows: list[tuple]) -> Path:
    """A gold TSV in ``dev.tsv``'s format: (writer, page, staff, annotation) rows under its header."""
    lines = ["writer\tpage\tstaff\tannotation"] + ["\t".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def symbol_count(repository) -> int:
    """The symbols a Mashcima symbol repository holds, over all its lists."""
    return sum(len(v) for v in vars(repository).values() if isinstance(v, list))
