"""Short GAN training runs that change one thing each, scored on the validation writers (never the test writers).

    python -m experiments.ablation --data data/glyphs-64 --out runs/ablation [--epochs 4] [VARIANT ...]

Each variant is the ``cpu`` preset with the fields below replaced, trained for ``--epochs`` epochs (same seed, same
data order) into OUT/VARIANT, then measured by ``evaluate --split val`` without GAN-train. One JSON line per
variant is appended to OUT/results.jsonl (a finished variant is skipped when run again), with the headline
figures and, per class the GAN draws worst (``FOCUS``), pixel recall and precision and GAN-test; the README's
"what was tried" table quotes it. Runs one at a time: on 2 cores parallel torch jobs slow each other down many
times. The first set (``old`` ...) chose the ``cpu`` recipe (issue #12); the second starts from that recipe and
asks why clefs and accidentals come out wrong (issue #21).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from gan.config import PRESETS
from gan.evaluation import EvalSettings, evaluate, summary
from gan.files import append_jsonl, atomic_write_json
from gan.training import train

# The recipe before issue #12: uncentred style features from 4 references, no augmentation, no minibatch std,
# no mode seeking, full recogniser and writer losses.
OLD = dict(style_centering=False, k_refs=4, augment=False, mbstd_group=0, w_ms=0.0, w_rec=1.0, w_wid=1.0,
           mapping_layers=2, d_channels=0)
VARIANTS: dict[str, dict[str, Any]] = {
    "old": OLD,
    "centred-style": {**OLD, "style_centering": True, "k_refs": 8},
    "augment-mbstd": {**OLD, "augment": True, "mbstd_group": 4},
    "w_rec-0.1": {**OLD, "w_rec": 0.1},
    "w_wid-0": {**OLD, "w_wid": 0.0, "w_code": 0.0},
    "mode-seeking": {**OLD, "w_ms": 1.0},
    # the levers that helped, together: the cpu-long recipe at the same length
    "combined": {**OLD, "style_centering": True, "k_refs": 8, "augment": True, "mbstd_group": 4, "w_rec": 0.1,
                 "w_ms": 1.0},
    "combined-ms0.3": {**OLD, "style_centering": True, "k_refs": 8, "augment": True, "mbstd_group": 4, "w_rec": 0.1,
                       "w_ms": 0.3},
    # issue #21, from the cpu recipe (class_balance 0.5: a glyph's weight is count(class)^-0.5, square-root balance)
    "recipe": {},
    "balance-classes": {"class_balance": 0.0},  # every class drawn equally often
    "balance-none": {"class_balance": 1.0},  # glyphs as in the data: a g-clef is ~0.6 % of the draws
    "pixel-noise": {"pixel_noise": True},
    "wide": {"channels": 24},  # 1.5x every stage, the 64 x 64 ones included
    "r1-0.1": {"penalty_weight": 0.1},
    "r1-10": {"penalty_weight": 10.0},
    "recipe-w_wid-0": {"w_wid": 0.0},
}
# The classes the GAN draws worst (issue #21's targets: clefs and accidentals), reported one by one.
FOCUS = ("g-clef", "f-clef", "c-clef", "sharp", "flat", "natural")


def focus_figures(report: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per ``FOCUS`` class of an ``evaluate`` report: pixel recall and precision of generated glyphs, GAN-test."""
    variety, gan_test = report["variety"]["per_class"], report["gan_test"]["per_class"]
    out = {}
    for name in FOCUS:
        pixels = variety.get(name, {}).get("pixels", {}).get("generated", {})
        out[name] = {"recall_pixels": pixels.get("recall"), "precision_pixels": pixels.get("precision"),
                     "gan_test": gan_test.get(name)}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("variants", nargs="*", help=f"which to run [default: all: {', '.join(VARIANTS)}]")
    p.add_argument("--data", default="data/glyphs-64")
    p.add_argument("--out", default="runs/ablation")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    done = {json.loads(l)["variant"] for l in results.read_text().splitlines() if l.strip()} \
        if results.is_file() else set()
    for name in args.variants or list(VARIANTS):
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; variants: {', '.join(VARIANTS)}")
        if name in done:
            print(f"{name}: done already")
            continue
        config = PRESETS["cpu"].replace(epochs=args.epochs, save_every=args.epochs, **VARIANTS[name])
        t0 = time.perf_counter()
        run = out / name
        metrics = train(config, args.data, run, device="cpu", resume=(run / "latest.pt").is_file(),
                        overwrite=True, progress=False)
        train_s = time.perf_counter() - t0
        report = evaluate(run / "latest.pt", args.data, split="val",
                          settings=EvalSettings(n_generated=2000, gan_train=False))
        atomic_write_json(run / "eval_val.json", report)
        line = {"variant": name, "overrides": VARIANTS[name], "epochs": args.epochs,
                "glyphs_seen": args.epochs * config.glyphs_per_epoch, "train_seconds": round(train_s, 1),
                "last_epoch": {k: v for k, v in metrics.items() if k != "eval"}, **summary(report),
                "focus": focus_figures(report), "provenance": report["provenance"]}
        append_jsonl(results, line)
        print(json.dumps({k: v for k, v in line.items() if k not in ("provenance", "last_epoch", "overrides",
                                                                     "focus")}))


if __name__ == "__main__":
    main()
