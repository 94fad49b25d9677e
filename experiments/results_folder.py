"""The results folder both OMR benchmarks share the habits of: ``config.json`` beside ``metrics.jsonl`` and outputs.

Re-running with the same settings resumes; a folder holding a run of other settings (or anything else) is
refused unless the user asks to ``overwrite``, and then only the files a run writes are removed.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable

from gan.files import atomic_write_json

CONFIG = "config.json"
METRICS = "metrics.jsonl"


class BenchmarkError(ValueError):
    """A benchmark run that cannot go ahead as asked (one-line message)."""


def prepare_results_folder(out: Path, config: dict[str, Any], overwrite: bool, is_output: Callable[[str], bool],
                           resumable_fields: Iterable[str] = (), keep: Callable[[str], bool] = lambda name: False
                           ) -> bool:
    """Create or reopen ``out`` for ``config`` and save it there; True when a run of other settings was removed
    (``overwrite``). Call it after every check of the job: it is the first step that deletes.

    ``resumable_fields`` may differ from the saved config without making it another run (e.g. more seeds
    extend a finished one); ``is_output(name)`` says which entries of ``out`` a run writes, and ``keep(name)``
    which of those stay when starting over because they still hold for ``config`` (a recogniser whose training
    key is unchanged: minutes of training each).
    """
    skip = set(resumable_fields)

    def identity(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in skip}

    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    started_over = False
    if out.is_dir() and any(out.iterdir()):
        saved = _saved_config(out / CONFIG, overwrite)
        if saved is None or identity(saved) != identity(config):
            if not overwrite:
                what = "holds no benchmark run" if saved is None else "holds a benchmark run with other settings"
                raise BenchmarkError(f"{out} {what} ({CONFIG}); pass --overwrite to start over or choose "
                                     "another --out")
            for p in out.iterdir():  # only what a run writes, never unknown files, nor what still holds
                if is_output(p.name) and not keep(p.name):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
            started_over = True
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / CONFIG, config)
    return started_over


def _saved_config(path: Path, overwrite: bool) -> dict[str, Any] | None:
    """The config saved in ``path``; None when there is none (or a damaged one the user lets us replace)."""
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
    except (ValueError, OSError):
        saved = None
    if isinstance(saved, dict):
        return saved
    if overwrite:
        return None
    raise BenchmarkError(f"{path} is damaged (not a JSON object); pass --overwrite to start over")
