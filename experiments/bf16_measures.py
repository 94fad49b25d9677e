"""Do the glyph measures move under bf16 sampling? fp32 against bf16, beside the noise of one evaluation.

    python -m experiments.bf16_measures --data data/glyphs-64 [--checkpoint CK] [--out results/bf16-measures/val.json]

Three ``ganmash evaluate --split val`` runs of the same checkpoint (validation writers; GAN-train left out, it
measures the classifier more than the glyphs): fp32 with seed 0, fp32 with seed 1, bf16 with seed 0. The seed
changes the generated glyphs and the held-out draws, so |fp32 seed 1 - fp32 seed 0| is one evaluation's noise;
bf16 passes a measure when |bf16 - fp32 seed 0| is within it (or within 0.01, where the noise is smaller).
"""
from __future__ import annotations

import argparse
import dataclasses

from gan import EvalSettings
from gan.evaluation import evaluate, summary
from gan.files import atomic_write_json

MEASURES = ("precision_pixels_gen", "recall_pixels_gen", "diversity_pixels_gen", "precision_classifier_gen",
            "recall_classifier_gen", "diversity_classifier_gen", "gan_test", "fid", "style_set", "unseen_retrieval")


def main() -> None:
    from symbol_sources.pretrained import default_checkpoint

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/glyphs-64")
    ap.add_argument("--checkpoint", default=None, help="[default: the packaged GAN]")
    ap.add_argument("--out", default="results/bf16-measures/val.json")
    args = ap.parse_args()
    checkpoint = args.checkpoint or default_checkpoint()
    runs = {}
    for name, precision, seed in (("fp32_seed0", "fp32", 0), ("fp32_seed1", "fp32", 1), ("bf16_seed0", "bf16", 0)):
        settings = dataclasses.replace(EvalSettings(), gan_train=False, seed=seed)
        runs[name] = evaluate(checkpoint, args.data, split="val", settings=settings, precision=precision)
        print(name, summary(runs[name]))
    table = {}
    for m in MEASURES:
        a, b, c = (summary(runs[k]).get(m) for k in ("fp32_seed0", "fp32_seed1", "bf16_seed0"))
        noise, shift = abs(b - a), abs(c - a)
        table[m] = {"fp32_seed0": a, "fp32_seed1": b, "bf16_seed0": c, "noise": round(noise, 4),
                    "bf16_shift": round(shift, 4), "within_noise": bool(shift <= max(noise, 0.01))}
    atomic_write_json(args.out, {"measures": table, "runs": runs})
    print(f"wrote {args.out}")
    for m, row in table.items():
        print(f"{m:28s} fp32 {row['fp32_seed0']}  bf16 {row['bf16_seed0']}  shift {row['bf16_shift']}  "
              f"noise {row['noise']}  {'ok' if row['within_noise'] else 'MOVED'}")


if __name__ == "__main__":
    main()
