"""Glyph grids as PNG: one labelled row per class (contact sheets, GAN sample grids)."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from gan.files import atomic_write_bytes
from gan.plotting import agg_pyplot


def save_glyph_grid(rows: Sequence[tuple[str, np.ndarray]], path: str | os.PathLike,
                    title: str | None = None) -> Path:
    """Write a PNG with one row per ``(label, images)``; images are (n, S, S), uint8 255 = ink or float 1 = ink.

    Drawn dark ink on white paper, as music is read.
    """
    plt = agg_pyplot()

    n_cols = max((len(imgs) for _, imgs in rows), default=1) or 1
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(0.9 * n_cols + 2.2, 0.9 * len(rows) + 0.6),
                             squeeze=False)
    for r, (label, imgs) in enumerate(rows):
        imgs = np.asarray(imgs)
        scale = 255.0 if imgs.dtype == np.uint8 else 1.0
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([])
            for s in ax.spines.values():
                s.set_color("0.85")
            if c < len(imgs):
                ax.imshow(1.0 - imgs[c] / scale, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0.02, 0, 1, 0.97))  # room for long class names and the title
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
