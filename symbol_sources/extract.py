"""Glyph-set extraction: MUSCIMA++ objects (or a folder of class folders) into a clean, square glyph set."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from gan import GlyphSet
from symbol_sources.locate import EVALUATION_WRITERS
from symbol_sources.muscima_pp import MuscimaError, MuscimaPP

# The MUSCIMA++ primitives Mashcima draws (time-signature numerals are added from what the data has).
MASHCIMA_PRIMITIVES: tuple[str, ...] = (
    "notehead-full", "notehead-empty", "stem", "8th_flag", "16th_flag", "sharp", "flat", "natural",
    "g-clef", "f-clef", "c-clef", "whole_rest", "half_rest", "quarter_rest", "8th_rest", "16th_rest",
    "duration-dot", "ledger_line", "thin_barline", "whole-time_mark",
)
NUMERAL_CLASSES: tuple[str, ...] = tuple(f"numeral_{d}" for d in range(10))
MIN_SIDE = 3  # a glyph whose longer side is under this many pixels is a speck, not a symbol
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif"}


def default_classes(data: MuscimaPP) -> list[str]:
    present = set(data.class_names)
    return [c for c in MASHCIMA_PRIMITIVES + NUMERAL_CLASSES if c in present]


def to_square(ink: np.ndarray, size: int) -> np.ndarray:
    """Centre ``ink`` (h, w) in a square of its longer side, keep the aspect ratio, resize to size×size.

    Input and output: uint8, 255 = ink.
    """
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = ink
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(square, (size, size), interpolation=interpolation)


@dataclass
class _Cleaner:
    """Drops empty, degenerate and duplicate glyphs, counting each reason."""

    seen: set
    dropped: dict

    @classmethod
    def new(cls) -> "_Cleaner":
        return cls(set(), {"empty": 0, "degenerate": 0, "duplicate": 0})

    def keep(self, label: int, ink: np.ndarray, glyph: np.ndarray | None) -> bool:
        if not ink.any():
            self.dropped["empty"] += 1
            return False
        if max(ink.shape) < MIN_SIDE:
            self.dropped["degenerate"] += 1
            return False
        key = hashlib.blake2b(glyph.tobytes() + label.to_bytes(4, "little"), digest_size=16).digest()
        if key in self.seen:
            self.dropped["duplicate"] += 1
            return False
        self.seen.add(key)
        return True


def _pack(rows: list[tuple[np.ndarray, int, int, int, int, int]], classes: Sequence[str], size: int,
          source: str, dropped: dict) -> GlyphSet:
    images = np.stack([r[0] for r in rows]) if rows else np.zeros((0, size, size), np.uint8)
    col = lambda k: np.array([r[k] for r in rows], np.int32)  # noqa: E731
    return GlyphSet(images=images, labels=col(1).astype(np.int64), classes=tuple(classes), writers=col(2),
                    pages=col(3), orig_hw=np.stack([col(4), col(5)], 1).reshape(-1, 2),
                    source=source, dropped=dropped)


def chosen_writers(available: Iterable[int], writers: Iterable[int] | None,
                   exclude_writers: Iterable[int] | None) -> set[int]:
    """The writers to use. The evaluation writers are excluded unless the caller names writers
    explicitly or gives its own exclusion list."""
    if exclude_writers is None:
        exclude_writers = () if writers is not None else EVALUATION_WRITERS
    chosen = set(int(w) for w in available) if writers is None else set(int(w) for w in writers)
    return chosen - set(int(w) for w in exclude_writers)


def select_writers(data: MuscimaPP, writers: Iterable[int] | None,
                   exclude_writers: Iterable[int] | None) -> np.ndarray:
    """Row mask of the objects of ``chosen_writers``."""
    return np.isin(data.writer, sorted(chosen_writers(data.doc_writer, writers, exclude_writers)))


def extract_glyph_set(data: MuscimaPP, size: int = 64, classes: Sequence[str] | None = None,
                      writers: Iterable[int] | None = None, exclude_writers: Iterable[int] | None = None,
                      source: str = "", progress: bool = False) -> GlyphSet:
    """Glyphs of ``classes`` (default: what Mashcima draws) from the chosen writers, cleaned."""
    classes = list(classes) if classes else default_classes(data)
    class_ids = [data.class_index(c) for c in classes]  # raises MuscimaError listing valid names
    writer_mask = select_writers(data, writers, exclude_writers)
    rows, cleaner = [], _Cleaner.new()
    for label, cid in enumerate(tqdm(class_ids, desc="extracting", unit="class", disable=not progress)):
        for i in np.flatnonzero((data.class_id == cid) & writer_mask):
            ink = data.mask(i).astype(np.uint8) * 255
            glyph = to_square(ink, size) if ink.any() and max(ink.shape) >= MIN_SIDE else None
            if cleaner.keep(label, ink, glyph):
                rows.append((glyph, label, int(data.writer[i]), int(data.page[i]), *ink.shape))
    if not rows:
        raise MuscimaError("no glyphs match the chosen classes and writers")
    return _pack(rows, classes, size, source, cleaner.dropped)


def read_ink(path: Path) -> np.ndarray | None:
    """Grey image → uint8 ink (255 = ink), cropped to the ink; dark-on-light and light-on-dark both work."""
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        return None
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    ink = 255 - img if border.mean() > 127 else img  # the paper is whatever the border mostly is
    ys, xs = np.nonzero(ink > 64)
    if len(ys) == 0:
        return np.zeros((0, 0), np.uint8)
    return ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _class_folders(root: Path) -> Iterator[tuple[str, list[Path]]]:
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(f for f in d.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
        if files:
            yield d.name, files


def extract_from_folders(root: str | os.PathLike, size: int = 64, classes: Sequence[str] | None = None,
                         progress: bool = False) -> GlyphSet:
    """The seed's ``read_classes.py`` layout: ``root/<class name>/*.png``. Writer and page are unknown (0)."""
    root = Path(root)
    if not root.is_dir():
        raise MuscimaError(f"{root} is not a folder of class folders")
    folders = dict(_class_folders(root))
    if not folders:
        raise MuscimaError(f"{root} has no class sub-folders with images")
    if classes:
        unknown = [c for c in classes if c not in folders]
        if unknown:
            raise MuscimaError(f"unknown class {unknown[0]!r}; valid: {', '.join(sorted(folders))}")
        folders = {c: folders[c] for c in classes}
    rows, cleaner = [], _Cleaner.new()
    cleaner.dropped["unreadable"] = 0
    for label, (name, files) in enumerate(tqdm(folders.items(), desc="reading", unit="class",
                                               disable=not progress)):
        for f in files:
            ink = read_ink(f)
            if ink is None:
                cleaner.dropped["unreadable"] += 1
                continue
            glyph = to_square(ink, size) if ink.any() and max(ink.shape) >= MIN_SIDE else None
            if cleaner.keep(label, ink, glyph):
                rows.append((glyph, label, 0, 0, *ink.shape))
    if not rows:
        raise MuscimaError(f"no usable glyph images under {root}")
    return _pack(rows, list(folders), size, str(root.resolve()), cleaner.dropped)
