"""Scoring staff recognisers on gold staves: symbol error rate (SER) per staff and its statistics over seeds.

SER is the token-level Levenshtein distance / gold token count, per staff, averaged over staves; blank gold
staves have no SER and are skipped and counted. Over recognisers: per ratio (the GAN share of the training
staves) the mean and std of SER over seeds, SER per gold writer, and a paired bootstrap 95 % CI of the SER
difference from the first ratio (same seeds, same gold staves, both resampled). Used for the test staves
(``dev.tsv``) and the validation staves alike.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

from experiments.seed_stats import mean_std
from experiments.staff_recognizer import LoadedRecognizer
from symbol_sources.real_staves import GoldStaff


# -- symbol error rate --------------------------------------------------------------------------------------------
def pitchless(tokens: Sequence[str]) -> list[str]:
    """Tokens with their pitch removed (``q-4`` -> ``q``, ``#3`` -> ``#``; ``clef.G-2`` -> ``clef.G``)."""
    from mashcima.vocabulary import to_generic

    return [to_generic(t) for t in tokens]


def symbol_error_rate(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Token-level Levenshtein distance / gold length (may exceed 1: a prediction can be longer than gold)."""
    if not gold:
        raise ValueError("a blank gold staff has no symbol error rate")
    return Levenshtein.distance(list(predicted), list(gold)) / len(gold)


def score_gold(predictions: Sequence[Sequence[str]], gold: Sequence[GoldStaff], vocabulary: Sequence[str],
               trained_tokens: Sequence[str] | None = None) -> dict[str, Any]:
    """SER and pitch-less SER per staff and averaged; blank staves skipped and counted.

    Gold tokens the recogniser cannot produce are listed: outside its vocabulary at all, or (when
    ``trained_tokens`` is known) never in its training labels, such as the ornaments Mashcima does not draw.
    They count as errors like any other miss.
    """
    known, trained = set(vocabulary), set(trained_tokens) if trained_tokens is not None else None
    rows: list[dict[str, Any]] = []
    outside: dict[str, int] = {}
    unseen: dict[str, int] = {}
    for g, pred in zip(gold, predictions):
        row: dict[str, Any] = {"writer": g.writer, "page": g.page, "staff": g.staff, "gold": g.annotation,
                               "predicted": " ".join(pred)}
        if g.tokens:
            row["ser"] = round(symbol_error_rate(pred, g.tokens), 4)
            row["ser_pitchless"] = round(symbol_error_rate(pitchless(pred), pitchless(g.tokens)), 4)
        for t in g.tokens:
            if t not in known:
                outside[t] = outside.get(t, 0) + 1
            elif trained is not None and t not in trained:
                unseen[t] = unseen.get(t, 0) + 1
        rows.append(row)
    scored = [r for r in rows if "ser" in r]
    n_gold_tokens = sum(len(g.tokens) for g in gold)

    def ranked(counts: dict[str, int]) -> dict[str, int]:
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return {
        "ser": round(float(np.mean([r["ser"] for r in scored])), 4) if scored else None,
        "ser_pitchless": round(float(np.mean([r["ser_pitchless"] for r in scored])), 4) if scored else None,
        "staves_scored": len(scored),
        "blank_staves_skipped": len(rows) - len(scored),
        "gold_tokens": n_gold_tokens,
        "gold_tokens_outside_vocabulary": ranked(outside),
        "gold_tokens_never_trained": ranked(unseen) if trained is not None else None,
        "share_unreachable": round((sum(outside.values()) + sum(unseen.values())) / n_gold_tokens, 4)
        if n_gold_tokens else None,
        "staves": rows,
    }


def evaluate_recognizer(recognizer: LoadedRecognizer, gold: Sequence[GoldStaff],
                        images: Sequence[np.ndarray], beam_width: int = 1) -> dict[str, Any]:
    predictions = recognizer.transcribe(images, beam_width=beam_width)
    return score_gold(predictions, gold, recognizer.codec.vocabulary, recognizer.info.get("trained_tokens"))


# -- statistics ---------------------------------------------------------------------------------------------------
def paired_bootstrap(differences: np.ndarray, resamples: int, rng: np.random.Generator) -> dict[str, Any]:
    """Mean and 95 % percentile interval of a (seeds, staves) array of paired SER differences, resampling seeds
    and staves with replacement (the two sources of noise: which recogniser, which test staff)."""
    k, n = differences.shape
    means = np.empty(resamples)
    for b in range(resamples):
        means[b] = differences[rng.integers(k, size=k)][:, rng.integers(n, size=n)].mean()
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": round(float(differences.mean()), 4), "ci95": [round(float(lo), 4), round(float(hi), 4)],
            "seeds": k, "staves": n, "resamples": resamples}


def quartiles(values: Sequence[float]) -> dict[str, float]:
    q = np.percentile(np.asarray(values, np.float64), [0, 25, 50, 75, 100])
    return dict(zip(("min", "q1", "median", "q3", "max"), (round(float(x), 1) for x in q)))


def summarise_scores(runs: Sequence[dict[str, Any]], ratios: Sequence[float], seeds: Sequence[int],
                     resamples: int) -> list[dict[str, Any]]:
    """Per ratio: SER mean and std over seeds, SER per gold writer, and (after the first ratio) the paired
    bootstrap CI of its SER difference from the first ratio, over the seeds both have. ``runs``: one
    ``score_gold`` record per recogniser, with its ``ratio`` and ``seed``."""
    rng = np.random.default_rng(0)
    by = {(r["ratio"], r["seed"]): r for r in runs}
    base = ratios[0]
    out = []
    for ratio in ratios:
        mine = [by[(ratio, s)] for s in seeds if (ratio, s) in by]
        per_writer: dict[str, list[float]] = {}
        for r in mine:
            for st in r["staves"]:
                if "ser" in st:
                    per_writer.setdefault(str(st["writer"]), []).append(st["ser"])
        entry: dict[str, Any] = {
            "ratio": ratio, "seeds": [r["seed"] for r in mine],
            "ser": mean_std([r["ser"] for r in mine]), "ser_pitchless": mean_std([r["ser_pitchless"] for r in mine]),
            "ser_per_writer": {w: round(float(np.mean(v)), 4) for w, v in sorted(per_writer.items())},
            "staves_scored": mine[0]["staves_scored"], "share_unreachable": mine[0]["share_unreachable"]}
        paired = [s for s in entry["seeds"] if (base, s) in by]
        if ratio != base and paired:
            diff = np.array([[a["ser"] - b["ser"] for a, b in zip(by[(ratio, s)]["staves"], by[(base, s)]["staves"])
                              if "ser" in a] for s in paired])
            entry["ser_minus_first_ratio"] = paired_bootstrap(diff, resamples, rng)
        out.append(entry)
    return out
