"""How many glyphs per (writer, class) the provider's glyph bank needs to hold what the GAN can draw.

    python -m experiments.bank_size [--checkpoint CK] [--out results/bank-size.json]

The bank draws ``size`` glyphs per (writer, class) once and reuses them on every staff, so it caps the variety of
a whole synthetic dataset at ``size`` x writers glyphs per class. For each size, per (writer, class), the k-NN
coverage (``gan.measures.coverage``, 32x32 pixels) of 512 fresh glyphs of the pair by a bank of that size measures
how much of the pair's distribution the bank holds; another 512 fresh glyphs give the most any bank can reach. The smallest size within 10 % of that is the one to use. Prints one JSON object and writes it to
``--out`` with the checkpoint's sha256.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from gan import load_generator
from gan.files import atomic_write_json
from gan.measures import coverage, pixel_features
from gan.provenance import file_sha256, provenance
from symbol_sources.pretrained import default_checkpoint

SIZES = (8, 16, 32, 64, 128, 256)
CLASSES = ("notehead-full", "notehead-empty", "stem", "8th_flag", "sharp", "flat", "natural", "g-clef",
           "quarter_rest", "8th_rest")
REFERENCE = 512


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="[default: the packaged one]")
    ap.add_argument("--writers", type=int, default=6, help="training writers measured (evenly spread)")
    ap.add_argument("--out", default="results/bank-size.json")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    checkpoint = args.checkpoint or str(default_checkpoint())
    sampler = load_generator(checkpoint)
    writers = [sampler.writers[i] for i in np.linspace(0, len(sampler.writers) - 1, args.writers).round().astype(int)]
    classes = [c for c in CLASSES if c in sampler.classes]
    covered = {size: [] for size in (*SIZES, "ceiling")}
    for wi, writer in enumerate(writers):
        for ci, name in enumerate(classes):
            gen = torch.Generator().manual_seed(1000 * wi + ci)
            draw = lambda n: pixel_features(sampler.sample([name], writer=writer, n=n, generator=gen))  # noqa: E731
            reference, other = draw(REFERENCE), draw(REFERENCE)
            covered["ceiling"].append(coverage(reference, other))
            for size in SIZES:
                covered[size].append(coverage(reference, other[:size]))
    mean = {str(k): round(float(np.mean(v)), 4) for k, v in covered.items()}
    enough = next((s for s in SIZES if mean[str(s)] >= 0.9 * mean["ceiling"]), None)
    result = {"checkpoint": checkpoint, "checkpoint_sha256": file_sha256(checkpoint), **provenance(),
              "writers": writers, "classes": classes, "reference_glyphs": REFERENCE,
              "mean_coverage_by_bank_size": mean, "smallest_size_within_10_percent": enough}
    atomic_write_json(args.out, result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
