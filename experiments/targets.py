"""The GAN's targets (issue #12) against one or more ``ganmash evaluate`` reports, as a Markdown table; with
``--variety``, issue #21's targets too.

    python -m experiments.targets docs/pretrained_eval_val.json docs/pretrained_eval_test.json
    python -m experiments.targets docs/pretrained_eval_val.json docs/pretrained_eval_test.json \
        --variety results/variety-check/packaged_val.json results/variety-check/packaged_test.json \
        --run results/cpu-long                                  # the run's metrics.jsonl, for its throughput

One column per report (its split in the header), each cell "measured (real reference)" and whether the target
is met. Variety rows give pixels / classifier features; a target is met only when both spaces meet it. Issue #21's
pixel rows give ``ganmash evaluate``'s figure / ``experiments.variety_check``'s (one report of each per column, in
the same order), and a target is met only when both meet it.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any, Callable

# The classes the GAN draws worst (clefs and accidentals); issue #21 sets pixel targets for the first four.
HARD_CLASSES = ("g-clef", "f-clef", "c-clef", "sharp", "flat", "natural")
TARGETED = HARD_CLASSES[:4]


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


# Issue #21: the throughput of a cpu-long run on 2 cores.
THROUGHPUT_TARGET = 100.0


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _class_recall(report: dict[str, Any], variety: dict[str, Any], name: str) -> tuple[float | None, float | None]:
    own = report["variety"]["per_class"].get(name, {}).get("pixels", {}).get("generated", {}).get("recall")
    return own, variety["per_class"].get(name, {}).get("recall")


def _both_at_least(own: float | None, plain: float | None, target: float) -> bool:
    return own is not None and plain is not None and min(own, plain) >= target


def run_throughput(run_dir: Path) -> float:
    """Median glyphs/s of a run's GAN epochs (metrics.jsonl; epoch 0, the writer identifier's pretraining, left out)."""
    lines = [json.loads(l) for l in (run_dir / "metrics.jsonl").read_text().splitlines() if l.strip()]
    speeds = [l["glyphs_per_s"] for l in lines if l.get("epoch", 0) >= 1 and "glyphs_per_s" in l]
    if not speeds:
        raise SystemExit(f"{run_dir}/metrics.jsonl has no GAN epoch with glyphs_per_s")
    return statistics.median(speeds)


def clef_targets_table(reports: list[dict[str, Any]], varieties: list[dict[str, Any]],
                       throughput: float | None = None) -> str:
    """Issue #21's targets, one column per (evaluate report, variety_check report) of the same split."""
    for r, v in zip(reports, varieties, strict=True):
        if r["split"] != v["split"]:
            raise SystemExit(f"an evaluate report of the {r['split']} split is paired with a variety check of "
                             f"{v['split']}: give --variety in the order of the reports")
    lines = ["| measure (evaluate / variety_check) | target | " + " | ".join(
        f"{r['split']} writers {r['heldout_writers']}" for r in reports) + " |", "|---|---|" + "---|" * len(reports)]

    def row(name: str, target: str, cell: Callable[[dict[str, Any], dict[str, Any]], tuple[str, bool]]) -> None:
        cells = [cell(r, v) for r, v in zip(reports, varieties)]
        lines.append(f"| {name} | {target} | " + " | ".join(f"{t} {'**met**' if m else 'missed'}" for t, m in cells)
                     + " |")

    def median(key: str, target: float) -> Callable[[dict[str, Any], dict[str, Any]], tuple[str, bool]]:
        def cell(r: dict[str, Any], v: dict[str, Any]) -> tuple[str, bool]:
            own, plain = r["variety"]["summary"]["pixels"]["generated"][key], v["median"][key.split("_")[1]]
            return f"{_fmt(own)} / {_fmt(plain)}", _both_at_least(own, plain, target)
        return cell

    def targeted(r: dict[str, Any], v: dict[str, Any]) -> tuple[str, bool]:
        pairs = {c: _class_recall(r, v, c) for c in TARGETED}
        text = ", ".join(f"{c} {_fmt(own)} / {_fmt(plain)}" for c, (own, plain) in pairs.items())
        return text, all(_both_at_least(own, plain, 0.25) for own, plain in pairs.values())

    def unseen(r: dict[str, Any], v: dict[str, Any]) -> tuple[str, bool]:
        u = r["unseen_style"]["generated"]
        return f"{100 * u['accuracy']:.1f} % = {u['accuracy'] / u['chance']:.1f}× chance", u["accuracy"] >= 4 * u["chance"]

    row("pixel recall, median per class", "≥ 0.5 in both", median("median_recall", 0.5))
    row("pixel recall, " + ", ".join(TARGETED), "each ≥ 0.25 in both", targeted)
    row("pixel precision, median", "≥ 0.65 in both", median("median_precision", 0.65))
    row("GAN-test, each clef and accidental", "each ≥ 90 %", lambda r, v: _hard_classes(r))
    row("style, unseen writers (retrieval, sets of 8)", "≥ 4× chance", unseen)
    if throughput is not None:
        lines.append(f"| training throughput, cpu-long, 2 cores (glyphs/s, median epoch) | ≥ {THROUGHPUT_TARGET:.0f} | "
                     + " | ".join([f"{throughput:.1f} {'**met**' if throughput >= THROUGHPUT_TARGET else 'missed'}"]
                                  * len(reports)) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", type=Path, help="ganmash evaluate reports, one column each")
    ap.add_argument("--variety", nargs="+", type=Path, default=None,
                    help="experiments.variety_check reports of the same splits, in the same order: adds issue #21's table")
    ap.add_argument("--run", type=Path, default=None, help="the checkpoint's run folder: its throughput (issue #21)")
    args = ap.parse_args()
    reports = [json.loads(p.read_text()) for p in args.reports]
    print(targets_table(reports))
    if args.variety is not None:
        if len(args.variety) != len(reports):
            raise SystemExit(f"--variety needs one report per evaluate report ({len(reports)}), got {len(args.variety)}")
        throughput = run_throughput(args.run) if args.run is not None else None
        print()
        print(clef_targets_table(reports, [json.loads(p.read_text()) for p in args.variety], throughput))


if __name__ == "__main__":
    main()
