"""Pages per second of Smashcima with the GAN backend, at ratio 0 and 0.5, in one run on one warm model.

The same scenes are rendered once untimed at ratio 0.5 (fills the glyph bank: every (writer, class) pair they
need), then timed at each ratio: a page = Smashcima's synthesis + rendering at 300 dpi + PNG encoding + MuNG
export (what synthesize-pages does, less the disk writes).

    python -m experiments.bench_pages [--musicxml FILE] [--pages 4]
"""
from __future__ import annotations

import argparse
import platform
import time
import xml.etree.ElementTree as ET

from experiments.figure_pages import DEFAULT_SCORE


def render_pages(model, score, seeds) -> int:
    from smashcima.exporting.MungExporter import MungExporter

    from symbol_sources.pages import page_png

    pages = 0
    for seed in seeds:
        scene = model.synthesize(score=score, seed=seed)
        for page in scene.pages:
            page_png(scene.render(page))
            ET.tostring(MungExporter().export(scene.compose_page(page)))
            pages += 1
    return pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--musicxml", default=str(DEFAULT_SCORE))
    ap.add_argument("--pages", type=int, default=4, help="Scenes timed per ratio.")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    import torch

    from symbol_sources.smashcima_backend import smashcima_model
    from symbol_sources.pages import load_musicxml

    start = time.perf_counter()
    model = smashcima_model(args.checkpoint, ratio=0.5, device=args.device, paper="solid")
    score = load_musicxml(args.musicxml)
    seeds = range(args.pages)
    render_pages(model, score, seeds)  # warm: the glyph bank holds what these scenes draw
    print(f"model + warm-up: {time.perf_counter() - start:.1f} s ({model.bank.made} (writer, class) pairs made, "
          f"{model.bank.pairs} in the bank); {platform.processor() or platform.machine()}, "
          f"torch threads {torch.get_num_threads()}, device {model.bank.sampler.device}")
    for ratio in (0.0, 0.5):
        model.bank.ratio = ratio
        start = time.perf_counter()
        pages = render_pages(model, score, seeds)
        seconds = time.perf_counter() - start
        print(f"ratio {ratio}: {pages} pages in {seconds:.2f} s = {pages / seconds:.3f} pages/s")


if __name__ == "__main__":
    main()
