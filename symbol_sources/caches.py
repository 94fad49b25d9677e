"""What ganmash keeps in its cache folder, and the glyph bank's part of it.

Everything here is only a cache: a damaged or missing file is rebuilt, never trusted. The folder is
``$GANMASH_CACHE_DIR``, else ``$XDG_CACHE_HOME/ganmash``, else ``~/.cache/ganmash`` (``default_cache_dir``).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan import atomic_write, atomic_write_json
from symbol_sources.muscima_pp import default_cache_dir

GLYPH_BANK_FORMAT = 1
GLYPH_BANK_SETTINGS = "settings.json"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")

# (what it is, file-name pattern) of every cache ganmash writes into its cache folder; `cache clear` removes
# these and nothing else. A leftover temporary file of an interrupted write starts with a dot.
INTERRUPTED = "interrupted write"
# A temporary file (or folder) changed within this time may belong to a job writing it right now: it is left
# alone. A writer changes it with every write (a folder: something in it), and the slowest, Mashcima's page
# pickle or Smashcima's glyph bundle, takes minutes; an hour without a change means its process is gone.
IN_FLIGHT_SECONDS = 3600
CACHE_KINDS: tuple[tuple[str, re.Pattern], ...] = (
    ("MUSCIMA++ pages, parsed (ganmash)", re.compile(r"^muscima-pp-[0-9a-f]{16}\.npz$")),
    ("MUSCIMA++ pages, pickled by Mashcima", re.compile(r"^mashcima-documents-[0-9a-f]{16}\.pkl$")),
    ("Mashcima page links (older: + pickle)", re.compile(r"^mashcima-[0-9a-f]{16}$")),
    ("glyph bank (generated glyphs)", re.compile(r"^glyph-bank-[0-9a-f]{16}$")),
    ("Smashcima assets (MUSCIMA++ link, glyph bundle)", re.compile(r"^smashcima-assets-[0-9a-f]{16}$")),
    (INTERRUPTED, re.compile(r"^\.(muscima-pp-|mashcima-|glyph-bank-).*")),
)


@dataclass(frozen=True)
class CacheEntry:
    kind: str
    path: Path
    size: int  # bytes, links not followed


def _size(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_symlink() or p.is_file())


def _last_change(path: Path) -> float:
    """The newest modification time of ``path`` and, for a folder, of everything in it (links not followed)."""
    times = [path.lstat().st_mtime]
    if path.is_dir() and not path.is_symlink():
        times += [p.lstat().st_mtime for p in path.rglob("*")]
    return max(times)


def cache_entries(cache_dir: str | os.PathLike | None = None) -> list[CacheEntry]:
    """The caches ganmash knows in ``cache_dir``, by name; temporary files of writes still in flight (changed
    within ``IN_FLIGHT_SECONDS``) are not among them."""
    folder = Path(cache_dir or default_cache_dir())
    if not folder.is_dir():
        return []
    entries, now = [], time.time()
    for path in sorted(folder.iterdir()):
        kind = next((k for k, pattern in CACHE_KINDS if pattern.match(path.name)), None)
        try:
            if kind == INTERRUPTED and now - _last_change(path) < IN_FLIGHT_SECONDS:
                continue
            if kind is not None:
                entries.append(CacheEntry(kind, path, _size(path)))
        except FileNotFoundError:  # its writer renamed or removed it just now
            continue
    return entries


def clear_caches(cache_dir: str | os.PathLike | None = None) -> list[CacheEntry]:
    """Remove the caches ganmash knows in ``cache_dir`` (links are removed, never what they point to)."""
    removed = cache_entries(cache_dir)
    for entry in removed:
        if entry.path.is_dir() and not entry.path.is_symlink():
            shutil.rmtree(entry.path)
        else:
            entry.path.unlink(missing_ok=True)
    return removed


@dataclass(frozen=True)
class GlyphBankCache:
    """The filled (writer, class) pairs of one glyph bank on disk: one ``.npy`` per pair, in a folder keyed by
    what decides a pair's glyphs (the checkpoint's content, the bank's seed and size; the device kind, pass
    shape and torch version that ran the GAN, which can change the last float bit). Pair files are written atomically and never change once written, so
    runs, shards and forked workers may share a folder."""

    folder: Path
    settings: dict = field(default_factory=dict)  # written beside the pairs, so `cache info` can say what it is

    @classmethod
    def for_bank(cls, checkpoint_sha256: str, seed: int, size: int, device: str, pairs_per_pass: int,
                 cache_dir: str | os.PathLike | None = None) -> "GlyphBankCache":
        import torch

        settings = {"format": GLYPH_BANK_FORMAT, "checkpoint_sha256": checkpoint_sha256, "seed": int(seed),
                    "size": int(size), "device": str(device).split(":")[0], "pairs_per_pass": int(pairs_per_pass),
                    "torch": str(torch.__version__)}
        key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
        return cls(Path(cache_dir or default_cache_dir()) / f"glyph-bank-{key}", settings)

    def _path(self, writer: int, cls: str) -> Path | None:
        return self.folder / f"w{int(writer)}-{cls}.npy" if _SAFE_NAME.match(cls) else None

    def load(self, writer: int, cls: str, shape: tuple[int, ...]) -> np.ndarray | None:
        """The pair's glyphs, or None when not cached or not readable as expected."""
        path = self._path(writer, cls)
        if path is None or not path.is_file():
            return None
        try:
            glyphs = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        return glyphs if glyphs.dtype == np.uint8 and glyphs.shape == shape else None

    def save(self, writer: int, cls: str, glyphs: np.ndarray) -> None:
        path = self._path(writer, cls)
        if path is None:
            return
        try:
            if self.settings and not (self.folder / GLYPH_BANK_SETTINGS).is_file():
                atomic_write_json(self.folder / GLYPH_BANK_SETTINGS, self.settings)
            atomic_write(path, lambda f: np.save(f, glyphs, allow_pickle=False))
        except OSError as e:  # a full or read-only disk costs speed, not the run
            print(f"ganmash: could not write glyph bank cache {path}: {e.strerror}", file=sys.stderr)
