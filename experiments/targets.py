"""The GAN's targets (issue #12) against one or more ``ganmash evaluate`` reports, as a Markdown table.

    python -m experiments.targets docs/pretrained_eval_val.json docs/pretrained_eval_test.json

One column per report (its split in the header), each cell "measured (real reference)" and whether the target
is met. Variety rows give pixels / classifier features; a target is met only when both spaces meet it.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

HARD_CLASSES = ("g-clef", "f-clef", "c-clef", "sharp", "flat", "natural")


def _both(report: dict[str, Any], key: str) -> tuple[float, float, float, float]:
    """(pixels, features) of a variety summary key, generated and real vs real."""
    s = report["variety"]["summary"]
    return (s["pixels"]["generated"][key], s["classifier"]["generated"][key],
            s["pixels"]["real_vs_real"][key], s["classifier"]["real_vs_real"][key])


def _variety(key: str, target: float) -> Callable[[dict[str, Any]], tuple[str, bool]]:
    def row(report: dict[str, Any]) -> tuple[str, bool]:
        px, ft, rpx, rft = _both(report, key)
        return f"{px:.2f} / {ft:.2f} (real {rpx:.2f} / {rft:.2f})", min(px, ft) >= target
    return row


def _hard_classes(report: dict[str, Any]) -> tuple[str, bool]:
    per = report["gan_test"]["per_class"]
    present = [c for c in HARD_CLASSES if c in per]
    cells = ", ".join(f"{c} {100 * per[c]:.0f}" for c in present)
    return f"{cells} %", all(per[c] >= 0.9 for c in present)


def _gan_train(report: dict[str, Any]) -> tuple[str, bool]:
    if "gan_train" not in report:
        return "not measured", False
    g = report["gan_train"]
    gen, real = g["generated_trained"]["overall"], g["real_trained"]["overall"]
    return f"{g['ratio']:.2f} ({100 * gen:.1f} vs {100 * real:.1f} %)", g["ratio"] >= 0.9


def _style_sets(report: dict[str, Any]) -> tuple[str, bool]:
    st = report["style"]
    acc, real = st["set_writer_accuracy_generated"]["accuracy"], st["set_writer_accuracy_real_heldout"]["accuracy"]
    return f"{100 * acc:.1f} % (real {100 * real:.1f} %, chance {100 * st['chance']:.1f} %)", acc >= 0.30


def _unseen(report: dict[str, Any]) -> tuple[str, bool]:
    u = report["unseen_style"]
    acc, chance = u["generated"]["accuracy"], u["generated"]["chance"]
    return (f"{100 * acc:.1f} % = {acc / chance:.1f}× chance (real {100 * u['real_vs_real']['accuracy']:.1f} %)",
            acc >= 2 * chance)


ROWS: tuple[tuple[str, str, Callable[[dict[str, Any]], tuple[str, bool]]], ...] = (
    ("recall, median per class (px / feat)", "≥ 0.5", _variety("median_recall", 0.5)),
    ("recall, lowest class with ≥ 50 held-out glyphs", "≥ 0.25", _variety("min_recall_classes_ge_50", 0.25)),
    ("diversity ratio, median", "≥ 0.8", _variety("median_diversity", 0.8)),
    ("diversity ratio, lowest class", "≥ 0.6", _variety("min_diversity", 0.6)),
    ("precision, median", "≥ 0.65", _variety("median_precision", 0.65)),
    ("GAN-test on clefs and accidentals", "each ≥ 90 %", _hard_classes),
    ("GAN-train / real-trained", "≥ 0.9", _gan_train),
    ("style, training writers (sets of 8)", "≥ 30 %", _style_sets),
    ("style, unseen writers (retrieval)", "≥ 2× chance", _unseen),
)


def targets_table(reports: list[dict[str, Any]]) -> str:
    head = "| measure | target | " + " | ".join(f"{r['split']} writers {r['heldout_writers']}" for r in reports) + " |"
    lines = [head, "|---|---|" + "---|" * len(reports)]
    for name, target, row in ROWS:
        cells = []
        for report in reports:
            text, met = row(report)
            cells.append(f"{text} {'**met**' if met else 'missed'}")
        lines.append(f"| {name} | {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", type=Path)
    args = ap.parse_args()
    print(targets_table([json.loads(p.read_text()) for p in args.reports]))


if __name__ == "__main__":
    main()
