"""Quick check of a checkpoint: GAN-test and writer accuracy (per glyph and per set of 8), without GAN-train.

    python -m experiments.style_probe CHECKPOINT [--data data/glyphs-64] [--real]

Uses the classifiers `ganmash evaluate` cached beside the data and the same draws, so GAN-test and per-glyph
writer accuracy equal `evaluate`'s; sets are cut with their own seed (1), so per-set figures can differ from
`evaluate`'s by a point. Takes ~40 s on CPU instead of `evaluate`'s 5-10 min: for comparing short runs.
Prints one JSON line; the README's "Style control: what was tried" table quotes it.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from gan import load_generator
from gan.evaluation import (EvalSettings, classify, log_probs, measuring_setup, sampler_generate_fn, set_accuracy,
                            style_code_spread)
from gan.glyphset import GlyphSet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--data", default="data/glyphs-64")
    ap.add_argument("--real", action="store_true", help="also measure real held-out glyphs")
    args = ap.parse_args()
    torch.set_num_threads(1)
    s, dev, data = EvalSettings(), torch.device("cpu"), Path(args.data)
    ts = GlyphSet.load(data)
    setup = measuring_setup(ts, data, s, dev)  # the same held-out split and draws as gan.evaluation.measure
    rng, held, writers, widx = setup.rng, setup.heldout, setup.writers, setup.writer_idx
    clf, wclf = setup.clf, setup.wclf
    n = len(ts.images)
    m = min(s.n_generated, n)
    rng.choice(n, m, replace=m > n // 2)  # measure's `ref` draw, skipped to reach the same `draw2`
    draw2 = rng.choice(n, m, replace=m > n // 2)
    labels, gen_writers = ts.labels[draw2], ts.writers[draw2]
    sampler = load_generator(args.checkpoint, dev)
    with torch.random.fork_rng(devices=[]):
        gen = sampler_generate_fn(sampler, ts.classes, s.seed)(labels, gen_writers)
    pred, _ = classify(clf, gen, dev)
    wpred, wfeat = classify(wclf, gen, dev)
    wtruth = np.searchsorted(writers, gen_writers)
    out = {"checkpoint": args.checkpoint, "gan_test": round(float((pred == labels).mean()), 4),
           "writer_accuracy": round(float((wpred == wtruth).mean()), 4),
           "set_writer_accuracy": set_accuracy(log_probs(wclf, wfeat), wtruth, s.style_set_size,
                                               np.random.default_rng(1)),
           "code_spread": style_code_spread(sampler.writer_styles.float().numpy())}
    if args.real:
        hpred, hfeat = classify(wclf, ts.images[held], dev)
        out["real_writer_accuracy"] = round(float((hpred == widx[held]).mean()), 4)
        out["real_set_writer_accuracy"] = set_accuracy(log_probs(wclf, hfeat), widx[held], s.style_set_size,
                                                       np.random.default_rng(1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
