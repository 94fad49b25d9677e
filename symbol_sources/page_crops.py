"""A few glyph crops of one writer's page: a ``--style-from`` folder made from MUSCIMA++, as a user would crop them.

``ganmash adapt`` and ``--style-from`` take a folder of ~16 crops of the hand to imitate. For a MUSCIMA++ writer
this module makes such a folder: ``count`` objects of the glyph classes the GAN draws, drawn at random (seeded)
from one page, each saved as black ink on white paper at its own size, named ``<class>_<n>.png`` so the class is
known. The crops derive from MUSCIMA++ (CC BY-NC-SA 4.0): they are written to the user's folder, never shipped.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from symbol_sources.extract import MIN_SIDE, default_classes
from symbol_sources.muscima_pp import MuscimaError, MuscimaPP


@dataclass(frozen=True)
class PageCrop:
    glyph_class: str
    ink: np.ndarray  # (h, w) bool, True = ink, the object's own size
    objid: int  # the object's id within its MUSCIMA++ document


def page_crops(muscima: MuscimaPP, writer: int, page: int, count: int = 16, seed: int = 0,
               classes: Sequence[str] | None = None) -> list[PageCrop]:
    """``count`` objects of ``classes`` (default: those Mashcima draws) from page ``page`` of ``writer``, drawn
    uniformly without replacement (seeded), specks left out; in the order drawn."""
    if count < 1:
        raise MuscimaError(f"--count must be at least 1, got {count}")
    docs = np.flatnonzero((muscima.doc_writer == writer) & (muscima.doc_page == page))
    if not len(docs):
        raise MuscimaError(f"MUSCIMA++ has no page {page} of writer {writer}")
    names = list(classes) if classes else default_classes(muscima)
    wanted = [muscima.class_index(c) for c in names]  # raises MuscimaError listing valid names
    rows = np.flatnonzero((muscima.doc == docs[0]) & np.isin(muscima.class_id, wanted))
    rows = rows[np.maximum(muscima.height[rows], muscima.width[rows]) >= MIN_SIDE]
    if len(rows) < count:
        raise MuscimaError(f"writer {writer} page {page} has {len(rows)} glyphs of the chosen classes, "
                           f"fewer than --count {count}")
    chosen = np.random.default_rng(seed).choice(rows, size=count, replace=False)
    return [PageCrop(muscima.class_names[muscima.class_id[i]], muscima.mask(int(i)), int(muscima.objid[i]))
            for i in chosen]


def write_crops(crops: Sequence[PageCrop], folder: str | os.PathLike) -> list[Path]:
    """Each crop as ``<class>_<n>.png`` (black ink on white) in ``folder``, which must exist and be empty."""
    import cv2

    folder = Path(folder)
    paths = []
    for n, crop in enumerate(crops):
        path = folder / f"{crop.glyph_class}_{n:02d}.png"
        image = np.where(crop.ink, 0, 255).astype(np.uint8)
        ok, encoded = cv2.imencode(".png", image)
        if not ok:
            raise OSError(f"could not encode {path} as PNG")
        path.write_bytes(encoded.tobytes())
        paths.append(path)
    return paths
