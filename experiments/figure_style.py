"""Figure: real glyphs of a few writers above glyphs generated from 8 other glyphs of the same writer.

    python -m experiments.figure_style --checkpoint CK --data data/glyphs-64-eval --out docs/style.png

With the evaluation set this is the GANwriting test: the writers (13, 17, 20, 34 by default) are ones the GAN
never saw; each pair of rows shows one real glyph per class of a writer, then what the GAN draws for those classes
from 8 random references of that writer (not the glyphs shown). A blank cell: the writer has no glyph of the class.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from gan import load_generator
from gan.glyphset import GlyphSet
from gan.grid import save_glyph_grid

CLASSES = ("notehead-full", "notehead-empty", "8th_flag", "sharp", "flat", "natural", "g-clef", "f-clef",
           "quarter_rest", "8th_rest")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", default="data/glyphs-64-eval", help="glyph set the writers' real glyphs come from")
    ap.add_argument("--writers", default="13,17,20,34")
    ap.add_argument("--refs", type=int, default=8, help="reference glyphs per writer")
    ap.add_argument("--out", default="docs/style.png")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    glyphs = GlyphSet.load(args.data)
    sampler = load_generator(args.checkpoint, torch.device("cpu"))
    classes = [c for c in CLASSES if c in glyphs.classes and c in sampler.classes]
    rng = np.random.default_rng(args.seed)
    blank = np.zeros(glyphs.images.shape[1:], np.uint8)
    rows = []
    for writer in (int(w) for w in args.writers.split(",")):
        mine = np.flatnonzero(glyphs.writers == writer)
        if len(mine) < args.refs + len(classes):
            raise SystemExit(f"writer {writer} has {len(mine)} glyphs in {args.data}; too few for this figure")
        shown = []
        for c in classes:
            of_class = mine[glyphs.labels[mine] == glyphs.classes.index(c)]
            shown.append(rng.choice(of_class) if len(of_class) else None)
        refs = rng.choice(np.setdiff1d(mine, [i for i in shown if i is not None]), args.refs, replace=False)
        rows.append((f"writer {writer}, real", np.stack([glyphs.images[i] if i is not None else blank
                                                         for i in shown])))
        generated = sampler.sample(classes, style_images=glyphs.images[refs], n=1, seed=args.seed,
                                   style_classes=[glyphs.classes[i] for i in glyphs.labels[refs]])
        rows.append((f"writer {writer}, GAN", (generated * 255).round().astype(np.uint8)))
    save_glyph_grid(rows, args.out, title=f"{', '.join(classes)}: real, then generated from {args.refs} other "
                                          "glyphs of the writer")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
