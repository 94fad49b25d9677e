"""Which saved checkpoint of a run to use, chosen on the validation writers only.

    python -m experiments.choose_checkpoint RUN

Reads the validation measures RUN/metrics.jsonl holds for the epochs that have a checkpoint in
RUN/checkpoints/ (train with ``eval_every`` a divisor of ``save_every``) and picks the epoch with the highest
score: the F1 of median precision and median recall per class, averaged over pixels and classifier features.
Variety and fidelity weigh alike, and a collapsed generator (recall 0) scores 0 however precise. Epochs whose
score is within ``TIE`` of the best are tied (one evaluation's score moves by about that much), and a tie goes
to the better style: writer accuracy on sets of training writers plus unseen-writer retrieval. Prints a table
and the chosen checkpoint's path; never reads the test writers.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from gan import run_metrics, saved_epochs

KEYS = ("precision_pixels_gen", "recall_pixels_gen", "precision_classifier_gen", "recall_classifier_gen")
TIE = 0.01


def score(measures: dict) -> float:
    f1 = []
    for space in ("pixels", "classifier"):
        p, r = measures[f"precision_{space}_gen"], measures[f"recall_{space}_gen"]
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(f1) / len(f1)


def style(measures: dict) -> float:
    return measures["style_set"] + measures["unseen_retrieval"]


def choose(candidates: dict[int, dict]) -> int:
    best = max(score(m) for m in candidates.values())
    tied = [e for e, m in candidates.items() if score(m) >= best - TIE]
    return max(tied, key=lambda e: (style(candidates[e]), score(candidates[e])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    args = ap.parse_args()
    run = Path(args.run)
    rows = run_metrics(run)  # a torn last line (a run still training, or killed) is left out
    saved = set(saved_epochs(run))
    candidates = {r["epoch"]: r["eval"] for r in rows if "eval" in r and r["epoch"] in saved}
    if not candidates:
        raise SystemExit(f"{run} has no validation measures for a saved checkpoint")
    print("epoch  " + "  ".join(f"{k[:-4]:>22}" for k in KEYS) + "   score   style")
    for epoch, m in sorted(candidates.items()):
        print(f"{epoch:5d}  " + "  ".join(f"{m[k]:22.4f}" for k in KEYS) + f"  {score(m):.4f}  {style(m):.4f}")
    best = choose(candidates)
    print(f"chosen: epoch {best}: {run / 'checkpoints' / f'epoch_{best:04d}.pt'}")


if __name__ == "__main__":
    main()
