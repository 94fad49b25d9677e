"""A procedural glyph set (shapes per class, stroke width and slant per writer): for tests and demos without data."""
from __future__ import annotations

import cv2
import numpy as np

from gan.glyphset import GlyphSet

SHAPES = ("circle", "disk", "hline", "vline", "cross", "slash")


def toy_glyph_set(n_classes: int = 4, n_writers: int = 3, per_cell: int = 6, image_size: int = 32,
                  seed: int = 0, first_writer: int = 1) -> GlyphSet:
    """``per_cell`` glyphs of each (class, writer); the w-th writer (numbered ``first_writer`` + w) draws with stroke
    width 1 + w and its own slant."""
    if not 1 <= n_classes <= len(SHAPES):
        raise ValueError(f"n_classes must be 1..{len(SHAPES)}")
    rng = np.random.default_rng(seed)
    s = image_size
    images, labels, writers = [], [], []
    for w in range(n_writers):
        thickness = max(1, round((1 + w) * s / 32))
        slant = (w - (n_writers - 1) / 2) * 0.15
        for c in range(n_classes):
            for _ in range(per_cell):
                img = np.zeros((s, s), np.uint8)
                m, r = s // 2 + int(rng.integers(-s // 16, s // 16 + 1)), int(s * rng.uniform(0.2, 0.3))
                shape = SHAPES[c]
                if shape == "circle":
                    cv2.circle(img, (m, m), r, 255, thickness)
                elif shape == "disk":
                    cv2.circle(img, (m, m), r // 2 + 1, 255, -1)
                elif shape == "hline":
                    cv2.line(img, (m - r, m), (m + r, m), 255, thickness)
                elif shape == "vline":
                    cv2.line(img, (m, m - r), (m, m + r), 255, thickness)
                elif shape == "cross":
                    cv2.line(img, (m - r, m), (m + r, m), 255, thickness)
                    cv2.line(img, (m, m - r), (m, m + r), 255, thickness)
                else:
                    cv2.line(img, (m - r, m + r), (m + r, m - r), 255, thickness)
                shear = np.float32([[1, slant, -slant * s / 2], [0, 1, 0]])
                images.append(cv2.warpAffine(img, shear, (s, s)))
                labels.append(c)
                writers.append(first_writer + w)
    n = len(images)
    return GlyphSet(images=np.stack(images), labels=np.asarray(labels, np.int64),
                    classes=tuple(SHAPES[:n_classes]), writers=np.asarray(writers, np.int32),
                    pages=np.ones(n, np.int32), orig_hw=np.full((n, 2), s, np.int32), source="gan.synthetic")
