"""Stroke width and ink share per class, real against generated glyphs: is a thin g-clef the GAN's, or the canvas's?

    python -m experiments.stroke_width --data data/glyphs-4writers --writers 4,11,21,28,36,44 \
        --checkpoint symbol_sources/pretrained/glyph-gan.pt --out results/stroke-width

Real glyphs of ``--writers`` (validation writers: nothing is chosen on test writers) and as many generated ones of
each class (random training writers' styles, seed 0), both at the glyph set's size. A glyph's stroke width is
4 x the mean distance of its ink pixels to the nearest paper pixel, less 2 (across a stroke of w pixels the
distances run 1, 2, ..., w / 2 and back: their mean is w / 4 + 1 / 2), its ink share the fraction of ink pixels (value >= 128 of 255). Medians per class go to OUT/stroke_width.json and a
table to OUT/stroke_width.md. Seconds on a CPU.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from gan import atomic_write_bytes, atomic_write_json, load_generator
from gan.glyphset import GlyphSet
from gan.provenance import data_fingerprint, file_sha256, provenance

FOCUS = ("notehead-full", "stem", "sharp", "flat", "natural", "g-clef", "f-clef", "c-clef", "quarter_rest",
         "8th_rest")


def stroke_width(glyph: np.ndarray) -> float:
    """Mean stroke width in pixels from the ink pixels' distances to paper ((S, S) uint8, 255 = ink; nan without
    ink)."""
    import cv2

    ink = (glyph >= 128).astype(np.uint8)
    if not ink.any():
        return float("nan")
    distance = cv2.distanceTransform(ink, cv2.DIST_L2, 3)  # 0 on paper, 1 on an ink pixel at the edge
    return float(4 * distance[ink > 0].mean() - 2)


def class_figures(glyphs: np.ndarray) -> dict[str, float]:
    widths = [stroke_width(g) for g in glyphs]
    return {"n": len(glyphs), "stroke_width_px": round(float(np.nanmedian(widths)), 2),
            "ink_share": round(float(np.median((glyphs >= 128).mean((1, 2)))), 3)}


def measure(data: Path, writers: tuple[int, ...], checkpoint: Path, per_class: int) -> dict[str, Any]:
    glyphs = GlyphSet.load(data)
    sampler = load_generator(checkpoint)
    rng = np.random.default_rng(0)
    rows = {}
    for name in FOCUS:
        if name not in glyphs.classes or name not in sampler.classes:
            continue
        mine = np.flatnonzero((glyphs.labels == glyphs.classes.index(name)) & np.isin(glyphs.writers, writers))
        if not len(mine):
            continue
        real = glyphs.images[rng.choice(mine, min(per_class, len(mine)), replace=False)]
        generated = (sampler.sample([name], n=len(real), seed=0) * 255).round().astype(np.uint8)
        rows[name] = {"real": class_figures(real), "generated": class_figures(generated)}
    return {"data": str(data), "writers": list(writers), "image_size": int(glyphs.images.shape[1]),
            "provenance": {**provenance(), "checkpoint_sha256": file_sha256(checkpoint),
                           "data_fingerprint": data_fingerprint(glyphs)}, "classes": rows}


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# Stroke width, real (writers {result['writers']}) against generated, at {result['image_size']} px", "",
             "| class | glyphs | stroke width px, real / generated | ink share, real / generated |",
             "|---|---:|---:|---:|"]
    for name, r in result["classes"].items():
        lines.append(f"| {name} | {r['real']['n']} | {r['real']['stroke_width_px']:.2f} / "
                     f"{r['generated']['stroke_width_px']:.2f} | {r['real']['ink_share']:.3f} / "
                     f"{r['generated']['ink_share']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="glyph set holding the real glyphs")
    ap.add_argument("--writers", default="4,11,21,28,36,44", help="writers of the real glyphs [default: validation]")
    ap.add_argument("--checkpoint", type=Path, default=Path("symbol_sources/pretrained/glyph-gan.pt"))
    ap.add_argument("--per-class", type=int, default=200)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    result = measure(args.data, tuple(int(w) for w in args.writers.split(",")), args.checkpoint, args.per_class)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out / "stroke_width.json", result)
    atomic_write_bytes(args.out / "stroke_width.md", markdown(result).encode())
    print(markdown(result))


if __name__ == "__main__":
    main()
