"""The glyph set: the one on-disk format between the data pipeline and the GAN.

A glyph-set folder holds
  glyphs.npz     images (N, S, S) uint8, 0 = paper, 255 = ink; labels (N,) int64 index into classes
  manifest.json  classes, per-class and per-writer counts, image size, source, what cleaning dropped,
                 and per-glyph columns: original height/width (pixels), writer, page.
The GAN needs only this; it knows nothing of MUSCIMA++ or Mashcima.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gan.files import atomic_save_npz, atomic_write_json, replacing_folder

FORMAT_NAME = "ganmash-glyph-set"
FORMAT_VERSION = 1
GLYPHS_FILE = "glyphs.npz"
MANIFEST_FILE = "manifest.json"


class GlyphSetError(ValueError):
    """A folder that is not a readable glyph set (one-line message)."""


@dataclass(frozen=True)
class GlyphSet:
    images: np.ndarray  # (N, S, S) uint8, 255 = ink
    labels: np.ndarray  # (N,) int64, index into classes
    classes: tuple[str, ...]
    writers: np.ndarray  # (N,) int32, CVC-MUSCIMA writer number (0 when unknown)
    pages: np.ndarray  # (N,) int32, page number (0 when unknown)
    orig_hw: np.ndarray  # (N, 2) int32, height/width before padding and resizing
    source: str = ""
    dropped: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.images)
        if self.images.ndim != 3 or self.images.shape[1] != self.images.shape[2] or self.images.dtype != np.uint8:
            raise GlyphSetError(f"images must be (N, S, S) uint8, got {self.images.shape} {self.images.dtype}")
        for name in ("labels", "writers", "pages", "orig_hw"):
            if len(getattr(self, name)) != n:
                raise GlyphSetError(f"{name} has {len(getattr(self, name))} rows, images have {n}")
        if not np.issubdtype(self.labels.dtype, np.integer):
            raise GlyphSetError(f"labels must be integers, got {self.labels.dtype}")
        if n and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            raise GlyphSetError(f"labels run from {self.labels.min()} to {self.labels.max()}, but there are "
                                f"{len(self.classes)} classes")

    @property
    def image_size(self) -> int:
        return int(self.images.shape[1])

    @property
    def writer_ids(self) -> list[int]:
        return sorted(int(w) for w in np.unique(self.writers))

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return {c: int(k) for c, k in zip(self.classes, counts)}

    def subset(self, mask: np.ndarray) -> "GlyphSet":
        return GlyphSet(self.images[mask], self.labels[mask], self.classes, self.writers[mask],
                        self.pages[mask], self.orig_hw[mask], self.source, dict(self.dropped))

    def manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "image_size": self.image_size,
            "n_glyphs": int(len(self.images)),
            "classes": list(self.classes),
            "class_counts": self.class_counts(),
            "writers": self.writer_ids,
            "writer_counts": {str(w): int(k) for w, k in sorted(Counter(self.writers.tolist()).items())},
            "source": self.source,
            "dropped": dict(self.dropped),
            "glyphs": {
                "height": self.orig_hw[:, 0].tolist(),
                "width": self.orig_hw[:, 1].tolist(),
                "writer": self.writers.tolist(),
                "page": self.pages.tolist(),
            },
        }

    def save(self, folder: str | os.PathLike) -> Path:
        """Make ``folder`` this glyph set, as a whole: both files are written into a temporary sibling that
        replaces ``folder`` only once complete (``replacing_folder``), so a crash leaves the old set or the new
        one, never a new glyphs.npz beside an old manifest. Whatever else ``folder`` held is replaced with it:
        callers refuse a non-empty folder the user did not ask to overwrite (``check_output_dir``)."""
        folder = Path(folder)
        with replacing_folder(folder) as tmp:
            atomic_save_npz(tmp / GLYPHS_FILE, images=self.images, labels=self.labels.astype(np.int64))
            atomic_write_json(tmp / MANIFEST_FILE, self.manifest())
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "GlyphSet":
        folder = Path(folder)
        manifest_path = folder / MANIFEST_FILE
        if not folder.is_dir():
            raise GlyphSetError(f"glyph set folder {folder} does not exist")
        if not manifest_path.is_file() or not (folder / GLYPHS_FILE).is_file():
            raise GlyphSetError(f"{folder} is not a glyph set (no {MANIFEST_FILE}/{GLYPHS_FILE}); "
                                "make one with `ganmash data extract`")
        try:
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("format") != FORMAT_NAME:
                raise GlyphSetError(f"{manifest_path} is not a {FORMAT_NAME} manifest")
            if manifest.get("version") != FORMAT_VERSION:
                raise GlyphSetError(f"{manifest_path} has format version {manifest.get('version')}, "
                                    f"this ganmash reads version {FORMAT_VERSION}")
            images, labels = _read_arrays(folder / GLYPHS_FILE)
            g = manifest["glyphs"]
            return cls(images=images, labels=labels, classes=tuple(manifest["classes"]),
                       writers=np.asarray(g["writer"], np.int32), pages=np.asarray(g["page"], np.int32),
                       orig_hw=np.stack([np.asarray(g["height"], np.int32), np.asarray(g["width"], np.int32)], 1)
                       .reshape(-1, 2),
                       source=manifest.get("source", ""), dropped=manifest.get("dropped", {}))
        except GlyphSetError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise GlyphSetError(f"cannot read glyph set {folder}: {type(e).__name__}: {e}") from None


def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``images`` and ``labels`` of a glyphs.npz, or a one-line ``GlyphSetError``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return z["images"], z["labels"]
    except KeyError as e:
        raise GlyphSetError(f"{path} lacks the array {e}; it is damaged") from None
    except Exception as e:  # noqa: BLE001 - truncated (BadZipFile), empty (EOFError), foreign bytes (a pickle hint)
        raise GlyphSetError(f"{path} is not a readable glyph archive ({type(e).__name__}; truncated or foreign "
                            "file? extract the glyph set again)") from None
