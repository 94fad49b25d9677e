"""What a training run folder holds, by name, for the trainer and for the scripts that read runs. Light (no
torch): ``experiments`` scripts read runs without loading the networks."""
from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from gan.files import complete_jsonl

# What a run writes: these files, and in its two folders the files of these names (epoch_0001.pt, ...).
# Only these are ever removed (--overwrite) or read; anything else in a run folder is the user's.
RUN_FILES = ("config.json", "latest.pt", "metrics.jsonl")
RUN_FOLDERS = {"checkpoints": re.compile(r"^epoch_(\d{4,})\.pt$"), "samples": re.compile(r"^epoch_(\d{4,})\.png$")}


class RunFolderError(ValueError):
    """A run folder whose files are damaged (one-line message)."""


def run_files(run_dir: Path) -> list[Path]:
    """The files of ``run_dir`` that a run wrote (by name), never the user's files or folders beside them."""
    found = [run_dir / name for name in RUN_FILES if (run_dir / name).is_file()]
    for folder, pattern in RUN_FOLDERS.items():
        if (run_dir / folder).is_dir():
            found += sorted(p for p in (run_dir / folder).iterdir() if pattern.match(p.name) and p.is_file())
    return found


def clear_run(run_dir: Path) -> None:
    """Remove an old run's files (``--overwrite``), and its folders where nothing else is left in them."""
    for path in run_files(run_dir):
        path.unlink()
    for folder in RUN_FOLDERS:
        with contextlib.suppress(OSError):  # absent, or holding the user's files: kept
            (run_dir / folder).rmdir()


def saved_epochs(run_dir: Path) -> list[int]:
    """The epochs with a checkpoint in ``run_dir/checkpoints`` (other names there are not epochs)."""
    folder, pattern = Path(run_dir) / "checkpoints", RUN_FOLDERS["checkpoints"]
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := pattern.match(p.name))) \
        if folder.is_dir() else []


def run_metrics(run_dir: Path) -> list[dict[str, Any]]:
    """The records of ``run_dir/metrics.jsonl``; a torn last line (a killed process) is left out, a damaged
    earlier one is a ``RunFolderError``."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    try:
        records = complete_jsonl(path)
    except ValueError as e:
        raise RunFolderError(f"{e} (train the run again with --overwrite)") from None
    if not all(isinstance(r, dict) for r in records):
        raise RunFolderError(f"{path} holds a line that is not a record; the file is damaged (train the run again "
                             "with --overwrite)")
    return records
