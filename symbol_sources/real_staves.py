"""Real handwritten staves for testing recognisers: staff images rendered from MUSCIMA++, and gold transcriptions.

A page is the union of the masks of all its objects except the region classes ``staff`` and ``staff_space``
(staff lines are objects of their own, so they are drawn). Its staves are its ``staff`` objects from top to
bottom; a staff image is the staff's box grown by one staff height above and below and half a staff height
left and right (clipped to the page), black ink on white. This is how the Mashcima author's CVC-MUSCIMA
evaluation staves were cut, so gold transcriptions of that evaluation line up with these images.

A gold file is a TSV with the header ``writer, page, staff, annotation`` (staff = 0-based index from the top,
annotation in Mashcima's encoding; empty = a blank staff).
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symbol_sources.muscima_pp import REGION_CLASSES, MuscimaError, MuscimaPP

GOLD_COLUMNS = ("writer", "page", "staff", "annotation")


class GoldError(ValueError):
    """A gold transcription file that cannot be used (one-line message naming the row)."""


@dataclass(frozen=True)
class GoldStaff:
    writer: int
    page: int
    staff: int  # 0-based, from the top of the page
    annotation: str  # Mashcima encoding; "" = blank staff
    line: int  # 1-based line in the gold file, for error messages

    @property
    def tokens(self) -> list[str]:
        return self.annotation.split()

    @property
    def name(self) -> str:
        return f"w{self.writer:02d}_p{self.page:02d}_s{self.staff:02d}"


def read_gold(path: str | os.PathLike) -> list[GoldStaff]:
    """Rows of a gold TSV, checked for form (not yet against MUSCIMA++: see ``render_gold_staves``)."""
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"gold file {path} does not exist")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    except (UnicodeDecodeError, csv.Error) as e:
        raise GoldError(f"{path} is not a gold TSV ({type(e).__name__}: not UTF-8 text?)") from None
    if not rows or tuple(c.strip().lower() for c in rows[0]) != GOLD_COLUMNS:
        raise GoldError(f"{path}: the first line must be the header {chr(9).join(GOLD_COLUMNS)!r}")
    gold, seen = [], {}
    for line, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) not in (3, 4):
            raise GoldError(f"{path} line {line}: expected 4 tab-separated columns, got {len(row)}")
        try:
            writer, page, staff = (int(c) for c in row[:3])
        except ValueError:
            raise GoldError(f"{path} line {line}: writer, page and staff must be integers, got {row[:3]}") from None
        if staff < 0:
            raise GoldError(f"{path} line {line}: staff must be >= 0, got {staff}")
        key = (writer, page, staff)
        if key in seen:
            raise GoldError(f"{path} line {line}: writer {writer} page {page} staff {staff} is already on line "
                            f"{seen[key]}")
        seen[key] = line
        gold.append(GoldStaff(writer, page, staff, " ".join((row[3] if len(row) > 3 else "").split()), line))
    if not gold:
        raise GoldError(f"{path} holds no gold staves")
    if not any(g.tokens for g in gold):
        raise GoldError(f"{path}: all {len(gold)} gold staves are blank; there is nothing to score")
    return gold


def _document(muscima: MuscimaPP, writer: int, page: int) -> int | None:
    hit = np.flatnonzero((muscima.doc_writer == writer) & (muscima.doc_page == page))
    return int(hit[0]) if len(hit) else None


def render_page(muscima: MuscimaPP, doc: int) -> np.ndarray:
    """(H, W) bool ink of one document: the union of its object masks, regions excluded."""
    rows = np.flatnonzero(muscima.doc == doc)
    regions = [muscima.class_names.index(c) for c in REGION_CLASSES if c in muscima.class_names]
    rows = rows[~np.isin(muscima.class_id[rows], regions)]
    h = int((muscima.top[rows] + muscima.height[rows]).max())
    w = int((muscima.left[rows] + muscima.width[rows]).max())
    ink = np.zeros((h, w), bool)
    for i in rows:
        t, l = int(muscima.top[i]), int(muscima.left[i])
        ink[t:t + int(muscima.height[i]), l:l + int(muscima.width[i])] |= muscima.mask(int(i))
    return ink


def staff_boxes(muscima: MuscimaPP, doc: int) -> list[tuple[int, int, int, int]]:
    """(top, left, height, width) of the document's ``staff`` objects, from the top of the page."""
    if "staff" not in muscima.class_names:
        return []
    rows = np.flatnonzero((muscima.doc == doc) & (muscima.class_id == muscima.class_names.index("staff")))
    rows = rows[np.argsort(muscima.top[rows], kind="stable")]
    return [(int(muscima.top[i]), int(muscima.left[i]), int(muscima.height[i]), int(muscima.width[i]))
            for i in rows]


def crop_staff(ink: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """uint8 staff image (255 = paper, 0 = ink): the box grown by h above/below and h/2 left/right.

    MUSCIMA++ does not record the page size, only where the ink is, so the crop stops at the page's top
    and left edges and is padded with paper past the last ink on the right and bottom (the page is blank there).
    """
    top, left, h, w = box
    t, b = max(0, top - h), top + 2 * h
    l, r = max(0, left - h // 2), left + w + h // 2
    staff = np.full((b - t, r - l), 255, np.uint8)
    part = ink[t:b, l:r]
    staff[: part.shape[0], : part.shape[1]][part] = 0
    return staff


def render_page_staves(muscima: MuscimaPP, writer: int, page: int) -> list[np.ndarray]:
    """All staff images of one page, top to bottom."""
    doc = _document(muscima, writer, page)
    if doc is None:
        raise MuscimaError(f"MUSCIMA++ has no page {page} of writer {writer}")
    ink = render_page(muscima, doc)
    return [crop_staff(ink, box) for box in staff_boxes(muscima, doc)]


def render_gold_staves(muscima: MuscimaPP, gold: list[GoldStaff], source: str = "gold file") -> list[np.ndarray]:
    """The staff image of each gold row, in row order; a row naming a missing page or staff is an error."""
    pages: dict[tuple[int, int], list[np.ndarray]] = {}
    images = []
    for g in gold:
        if (g.writer, g.page) not in pages:
            try:
                pages[g.writer, g.page] = render_page_staves(muscima, g.writer, g.page)
            except MuscimaError as e:
                raise GoldError(f"{source} line {g.line}: {e}") from None
        staves = pages[g.writer, g.page]
        if g.staff >= len(staves):
            raise GoldError(f"{source} line {g.line}: writer {g.writer} page {g.page} has {len(staves)} staves "
                            f"(0..{len(staves) - 1}), not staff {g.staff}")
        images.append(staves[g.staff])
    return images


def load_gold_staves(path: str | os.PathLike, muscima: MuscimaPP) -> tuple[list[GoldStaff], list[np.ndarray]]:
    """A gold file's rows and the staff image of each, rendered from ``muscima``."""
    gold = read_gold(path)
    return gold, render_gold_staves(muscima, gold, source=str(path))
