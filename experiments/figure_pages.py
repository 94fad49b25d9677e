"""Figure: one MusicXML page rendered by Smashcima at ratio 0, 0.5 and 1 (same seed: same writer, same layout).

    python -m experiments.figure_pages --out docs/pages.png [--musicxml FILE] [--seed 3]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from gan.files import atomic_write_bytes

DEFAULT_SCORE = Path(__file__).resolve().parent / "scores" / "tiny.musicxml"


def ink_rows_and_columns(gray: np.ndarray, margin: int = 60) -> tuple[slice, slice]:
    """The box of the page's glyphs, with a margin: the rest of an A4 page is empty staves. Long straight
    runs (stafflines, the paper's edge) are taken out before the box is measured."""
    ink = (gray < 80).astype(np.uint8)
    lines = (cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, 300), np.uint8))
             | cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((600, 1), np.uint8)))
    glyphs = ink & (1 - lines)
    rows = np.flatnonzero(glyphs.sum(1))
    gaps = np.flatnonzero(np.diff(rows) > 150)  # the first system ends at the first tall blank band
    rows = rows[:gaps[0] + 1] if len(gaps) else rows
    ys, xs = np.nonzero(glyphs[:rows.max() + 1])
    return (slice(max(0, ys.min() - margin), ys.max() + margin), slice(max(0, xs.min() - margin), xs.max() + margin))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--musicxml", default=str(DEFAULT_SCORE))
    ap.add_argument("--out", default="docs/pages.png")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--width", type=int, default=1400, help="Width of each panel in pixels.")
    args = ap.parse_args()

    from symbol_sources.smashcima_backend import smashcima_model
    from symbol_sources.pages import load_musicxml

    model = smashcima_model(args.checkpoint, ratio=0.0, device="auto", paper="solid")
    score = load_musicxml(args.musicxml)
    pages, captions = [], []
    for ratio in (0.0, 0.5, 1.0):
        model.bank.ratio = ratio  # same seed: Smashcima's stream, hence writer and layout, do not depend on it
        scene = model.synthesize(score=score, seed=args.seed)
        pages.append(cv2.cvtColor(scene.render(scene.pages[0]), cv2.COLOR_BGRA2GRAY))
        captions.append(f"ratio {ratio}: {model.counts.generated} of {model.counts.generated + model.counts.real} "
                        f"glyphs generated; Smashcima writer {scene.mpp_writer}, GAN writer {model.bank.writer}")
    rows, cols = ink_rows_and_columns(np.minimum.reduce(pages))
    panels = []
    for page, caption in zip(pages, captions):
        crop = page[rows, cols]
        crop = cv2.resize(crop, (args.width, round(crop.shape[0] * args.width / crop.shape[1])),
                          interpolation=cv2.INTER_AREA)
        label = np.full((30, args.width), 255, np.uint8)
        cv2.putText(label, caption, (6, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1, cv2.LINE_AA)
        panels += [label, crop, np.full((12, args.width), 255, np.uint8)]
    ok, png = cv2.imencode(".png", np.concatenate(panels))
    atomic_write_bytes(args.out, png.tobytes())
    print(f"wrote {args.out}")
    for caption in captions:
        print(caption)


if __name__ == "__main__":
    main()
