"""Short GAN training runs that change one thing each, scored on the validation writers (never the test writers).

    python -m experiments.ablation --data data/glyphs-64 --out results/ablation-21-cpu [--work runs/ablation-21]
        [--epochs 4] [VARIANT ...]
    python -m experiments.ablation --out results/ablation-21-cpu --choose    # the issue-21 table, the levers kept
    python -m experiments.ablation --against-packaged NEW_eval_val.json docs/pretrained_eval_val.json  # replace it?

Each variant is the ``cpu`` preset with the fields below replaced, trained for ``--epochs`` epochs (same seed, same
data order) into WORK/VARIANT, then measured by ``evaluate --split val`` without GAN-train. OUT gets what is
committed: one JSON line per variant appended to OUT/results.jsonl (a variant with a line there is skipped when
run again, so a committed OUT resumes on a fresh checkout), and VARIANT.eval_val.json, VARIANT.config.json and
VARIANT.samples.png (its last sample grid). Each line holds the headline
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

from experiments.choose_checkpoint import score
from experiments.targets import HARD_CLASSES, TARGETED
from gan.config import PRESETS
from gan.evaluation import EvalSettings, evaluate, summary
from gan.files import append_jsonl, atomic_write_bytes, atomic_write_json
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
    # not a lever: the kept r1-10 trained under bf16 autocast, to see whether bf16 hurts the measures
    "r1-10-bf16": {"penalty_weight": 10.0, "precision": "bf16"},
}
# The classes the GAN draws worst (issue #21's targets: clefs and accidentals), reported one by one.
FOCUS = HARD_CLASSES


def focus_figures(report: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per ``FOCUS`` class of an ``evaluate`` report: pixel recall and precision of generated glyphs, GAN-test."""
    variety, gan_test = report["variety"]["per_class"], report["gan_test"]["per_class"]
    out = {}
    for name in FOCUS:
        pixels = variety.get(name, {}).get("pixels", {}).get("generated", {})
        out[name] = {"recall_pixels": pixels.get("recall"), "precision_pixels": pixels.get("precision"),
                     "gan_test": gan_test.get(name)}
    return out


# The rule fixed in results/PREREGISTERED-gan.md: a lever is kept when it raises the mean pixel recall of the
# classes with targets (``TARGETED``) by FOCUS_GAIN over the recipe and costs at most F1_LOSS of the F1 score.
FOCUS_GAIN, F1_LOSS = 0.05, 0.02
REFERENCE = "recipe"
# The bf16 check (results/PREREGISTERED-gan.md, 2026-12-08): (fp32 line, the same under bf16). Not a lever.
BF16_CHECK = ("r1-10", "r1-10-bf16")


def _focus_mean(line: dict[str, Any], key: str) -> float:
    return sum(line["focus"][c][key] or 0.0 for c in TARGETED) / len(TARGETED)


def focus_score(line: dict[str, Any]) -> float:
    """Mean pixel recall of generated glyphs over ``TARGETED`` (a class too rare to measure counts as 0)."""
    return _focus_mean(line, "recall_pixels")


def _issue_21_lines(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The lines that carry per-class focus figures (the issue-21 set), by variant."""
    return {line["variant"]: line for line in lines if "focus" in line}


def kept_levers(lines: list[dict[str, Any]]) -> list[str]:
    """The issue-21 variants the pre-registered rule keeps, measured against the ``REFERENCE`` line."""
    by = _issue_21_lines(lines)
    if REFERENCE not in by:
        raise SystemExit(f"no {REFERENCE!r} line to compare with: run it first")
    ref = by[REFERENCE]
    return [name for name, line in by.items() if name not in (REFERENCE, BF16_CHECK[1])
            and focus_score(line) >= focus_score(ref) + FOCUS_GAIN and score(line) >= score(ref) - F1_LOSS]


def bf16_holds(lines: list[dict[str, Any]]) -> tuple[bool, str] | None:
    """Does training under bf16 keep the measures: its line's focus score at most ``FOCUS_GAIN`` and its F1 score at
    most ``F1_LOSS`` below the fp32 line's? None until both lines exist. Returns (holds, why)."""
    by = _issue_21_lines(lines)
    if not all(name in by for name in BF16_CHECK):
        return None
    fp32, bf16 = (by[name] for name in BF16_CHECK)
    holds = focus_score(bf16) >= focus_score(fp32) - FOCUS_GAIN and score(bf16) >= score(fp32) - F1_LOSS
    why = (f"bf16 focus score {focus_score(bf16):.3f} (fp32 {focus_score(fp32):.3f}), F1 score {score(bf16):.3f} "
           f"(fp32 {score(fp32):.3f}); train {bf16['train_seconds']:.0f} s (fp32 {fp32['train_seconds']:.0f} s)")
    return holds, why


def replaces_packaged(new: dict[str, Any], packaged: dict[str, Any]) -> tuple[bool, str]:
    """The pre-registered rule for a retrained checkpoint, on two ``evaluate --split val`` reports: it replaces the
    packaged one when its focus score is higher and its F1 score at most ``F1_LOSS`` lower. Returns (replace, why)."""
    if new["split"] != "val" or packaged["split"] != "val":
        raise SystemExit("the packaged checkpoint is replaced on validation-writer reports only (--split val)")
    a, b = ({**summary(r), "focus": focus_figures(r)} for r in (new, packaged))
    replace = focus_score(a) > focus_score(b) and score(a) >= score(b) - F1_LOSS
    why = (f"focus score {focus_score(a):.3f} (packaged {focus_score(b):.3f}), F1 score {score(a):.3f} "
           f"(packaged {score(b):.3f}, at most {F1_LOSS} lower allowed)")
    return replace, why


def choice_table(lines: list[dict[str, Any]]) -> str:
    """The rule's inputs per variant, and beside them (read, not part of the rule) the same classes' pixel precision
    and GAN-test: recall alone is high for glyphs scattered far from every real one."""
    kept = set(kept_levers(lines))
    rows = ["| variant | F1 score | focus score | " + " | ".join(f"{c} recall px" for c in TARGETED)
            + " | focus precision px | focus GAN-test | kept |",
            "|---|---:|---:|" + "---:|" * len(TARGETED) + "---:|---:|---|"]
    for line in (x for x in lines if "focus" in x):
        cells = " | ".join(f"{line['focus'][c]['recall_pixels'] or 0:.2f}" for c in TARGETED)
        rows.append(f"| {line['variant']} | {score(line):.3f} | {focus_score(line):.3f} | {cells} | "
                    f"{_focus_mean(line, 'precision_pixels'):.2f} | {_focus_mean(line, 'gan_test'):.2f} | "
                    f"{'yes' if line['variant'] in kept else ''} |")
    return "\n".join(rows)


def _read_lines(results: Path) -> list[dict[str, Any]]:
    return [json.loads(l) for l in results.read_text().splitlines() if l.strip()] if results.is_file() else []


def _keep_variant_files(run: Path, report: dict[str, Any], out: Path, name: str) -> None:
    """What results keep of a variant's training run: its evaluation, config and last sample grid."""
    atomic_write_json(out / f"{name}.eval_val.json", report)
    atomic_write_bytes(out / f"{name}.config.json", (run / "config.json").read_bytes())
    grids = sorted((run / "samples").glob("epoch_*.png"))
    if grids:
        atomic_write_bytes(out / f"{name}.samples.png", grids[-1].read_bytes())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("variants", nargs="*", help=f"which to run [default: all: {', '.join(VARIANTS)}]")
    p.add_argument("--data", default="data/glyphs-64")
    p.add_argument("--out", default="runs/ablation", help="results: results.jsonl and each variant's files")
    p.add_argument("--work", default=None, help="the variants' training runs [default: OUT/runs]")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=None, help="[default: the cpu preset's, 0]")
    p.add_argument("--choose", action="store_true",
                   help="print the issue-21 lines of OUT/results.jsonl with the pre-registered rule's choice; run nothing")
    p.add_argument("--against-packaged", nargs=2, metavar=("NEW_VAL", "PACKAGED_VAL"), default=None,
                   help="two evaluate --split val reports: does the retrained checkpoint replace the packaged one "
                        "(results/PREREGISTERED-gan.md)? Runs nothing")
    args = p.parse_args()
    if args.against_packaged:
        new, packaged = (json.loads(Path(f).read_text()) for f in args.against_packaged)
        replace, why = replaces_packaged(new, packaged)
        print(f"{'replace' if replace else 'keep'} the packaged checkpoint: {why}")
        return
    out = Path(args.out)
    results = out / "results.jsonl"
    if args.choose:
        lines = _read_lines(results)
        print(choice_table(lines))
        print("kept:", ", ".join(kept_levers(lines)) or "none")
        check = bf16_holds(lines)
        if check is not None:
            print(f"bf16 {'keeps' if check[0] else 'hurts'} the measures: {check[1]}")
        return
    torch.set_num_threads(args.threads)
    work = Path(args.work) if args.work else out / "runs"
    out.mkdir(parents=True, exist_ok=True)
    done = {line["variant"] for line in _read_lines(results)}
    for name in args.variants or list(VARIANTS):
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; variants: {', '.join(VARIANTS)}")
        if name in done:
            print(f"{name}: done already")
            continue
        config = PRESETS["cpu"].replace(epochs=args.epochs, save_every=args.epochs, **VARIANTS[name])
        if args.seed is not None:
            config = config.replace(seed=args.seed)
        t0 = time.perf_counter()
        run = work / name
        metrics = train(config, args.data, run, device="cpu", resume=(run / "latest.pt").is_file(),
                        overwrite=True, progress=False)
        train_s = time.perf_counter() - t0
        report = evaluate(run / "latest.pt", args.data, split="val",
                          settings=EvalSettings(n_generated=2000, gan_train=False))
        _keep_variant_files(run, report, out, name)
        line = {"variant": name, "overrides": VARIANTS[name], "epochs": args.epochs, "seed": config.seed,
                "glyphs_seen": args.epochs * config.glyphs_per_epoch, "train_seconds": round(train_s, 1),
                "last_epoch": {k: v for k, v in metrics.items() if k != "eval"}, **summary(report),
                "focus": focus_figures(report), "provenance": report["provenance"]}
        append_jsonl(results, line)
        print(json.dumps({k: v for k, v in line.items() if k not in ("provenance", "last_epoch", "overrides",
                                                                     "focus")}))


if __name__ == "__main__":
    main()
