"""A user's hand from a few of its glyphs: a folder of glyph images -> the GAN's style code for that hand.

The folder holds k images of one writer's symbols (e.g. 16 crops from the manuscripts to imitate), dark ink on
light paper or the reverse, any size. A class name is optional: a sub-folder's name (``refs/sharp/1.png``), or the
start of a file name (``refs/g-clef_2.png``), when it names one of the checkpoint's classes. The style encoder
removes each reference's class mean before averaging (so the code says how the hand draws, not which symbols the
references happen to be); without names, every reference is given the class its features are nearest.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from symbol_sources.extract import IMAGE_SUFFIXES, MIN_SIDE, read_ink, to_square
from symbol_sources.muscima_pp import MuscimaError


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _class_of(path: Path, folder: Path, classes: tuple[str, ...]) -> str | None:
    if path.parent != folder and path.parent.name in classes:
        return path.parent.name
    matches = [c for c in classes if path.stem == c or path.stem.startswith((f"{c}_", f"{c}-", f"{c}."))]
    return max(matches, key=len) if matches else None


def read_reference_glyphs(folder: str | os.PathLike, image_size: int,
                          classes: tuple[str, ...] = ()) -> tuple[np.ndarray, list[str] | None]:
    """The glyph images under ``folder`` as (k, S, S) uint8 (255 = ink, centred as in glyph sets), with their
    class names when every image has one of ``classes`` (else None)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MuscimaError(f"--style-from {folder} is not a folder of glyph images")
    images, names = [], []
    for path in _image_files(folder):
        ink = read_ink(path)
        if ink is None or not ink.any() or max(ink.shape) < MIN_SIDE:
            raise MuscimaError(f"--style-from: {path} is not a readable glyph image (unreadable, blank or a speck)")
        images.append(to_square(ink, image_size))
        names.append(_class_of(path, folder, classes))
    if not images:
        raise MuscimaError(f"--style-from {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return np.stack(images), (names if all(n is not None for n in names) else None)


def reference_style(sampler: Any, folder: str | os.PathLike) -> Any:
    """The style code (style_dim,) of the hand in ``folder``, for ``sampler`` (a ``gan.GlyphSampler``)."""
    images, names = read_reference_glyphs(folder, sampler.image_size, sampler.classes)
    return sampler.style_code(images, names)[0]


def references_sha256(folder: str | os.PathLike) -> str:
    """The content of a reference folder (names and bytes of its images): what a job records, so that a resumed
    job with other references is refused."""
    folder = Path(folder)
    h = hashlib.sha256()
    for path in _image_files(folder):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
