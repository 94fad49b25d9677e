"""Measure new hands (``--style novel``) on the validation writers: are they new, and are they real-looking?

    python -m experiments.novel_hands --data data/glyphs-64 --out results/novel-hands/novel_hands.json \
        [--checkpoint CK] [--scales 1,1.5,2,3] [--hands 24] [--per-hand 120] [--figure docs/novel_hands.png]

Writer features are the measuring writer classifier's (``gan.evaluation``: trained on the real glyphs of the
training writers, never on generated ones), each glyph's class mean removed, so they say how a glyph is drawn,
not what it is. A hand's vector is the mean feature of ``--per-hand`` of its glyphs (the same count and the same
class mix for every hand, real or generated: the noise of a mean depends on both).

- **novelty**: a hand's distance to the nearest training writer's vector (over all its real glyphs). Real unseen
  hands are the six validation writers; generated ones are training writers' own styles (the old per-writer mode)
  and new hands at each ``--scale``. Target: new hands within +-25 % of the real unseen writers' mean distance.
- **realism**: per class, k-NN precision (k = 3) of the generated glyphs against the validation writers' real
  glyphs, in 32x32 pixels and in the class classifier's features; median over classes. Target: new hands' precision
  at least per-writer styles' minus 0.05.

The scale is chosen here, on validation writers: the one whose mean novelty is nearest the real unseen writers'.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from gan import EvalSettings, GlyphSet, load_generator, novel_hand
from gan.evaluation import classify, measuring_setup, split_sets
from gan.files import atomic_write_json
from gan.measures import pixel_features, precision_recall
from gan.provenance import data_fingerprint, file_sha256, provenance
from symbol_sources.pretrained import default_checkpoint as packaged_checkpoint

FIGURE_CLASSES = ("notehead-full", "notehead-empty", "8th_flag", "sharp", "flat", "natural", "g-clef", "f-clef",
                  "quarter_rest", "8th_rest")
MIN_REAL = 20  # classes with fewer real validation glyphs are left out of the precision median


def _centred_features(wclf, images: np.ndarray, labels: np.ndarray, class_means: np.ndarray,
                      device: torch.device) -> np.ndarray:
    return classify(wclf, images, device)[1] - class_means[labels]


def _nearest_distance(hand: np.ndarray, writer_vectors: np.ndarray) -> float:
    return float(np.linalg.norm(writer_vectors - hand, axis=1).min())


def _summary(values: list[float]) -> dict[str, float]:
    v = np.asarray(values)
    return {"mean": round(float(v.mean()), 4), "std": round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 4),
            "n": len(v)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/glyphs-64", help="the training glyph set (validation writers inside)")
    ap.add_argument("--checkpoint", default=None, help="[default: the packaged GAN]")
    ap.add_argument("--out", default="results/novel-hands/novel_hands.json")
    ap.add_argument("--figure", default="docs/novel_hands.png")
    ap.add_argument("--scales", default="1,1.5,2,3")
    ap.add_argument("--hands", type=int, default=24, help="generated hands per mode")
    ap.add_argument("--per-hand", type=int, default=120, help="glyphs per hand")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    device = torch.device("cpu")
    checkpoint = Path(args.checkpoint) if args.checkpoint else packaged_checkpoint()
    checkpoint_sha256 = file_sha256(checkpoint)  # of what was loaded, before minutes of work
    sampler = load_generator(checkpoint, device)
    ck_config = torch.load(checkpoint, map_location="cpu", weights_only=True)["config"]
    glyphs = GlyphSet.load(args.data)
    train_set, val_set = split_sets(glyphs, ck_config["val_writers"], "val", None)
    if tuple(train_set.classes) != sampler.classes:
        raise SystemExit(f"{args.data} has other classes than the checkpoint")
    setup = measuring_setup(train_set, args.data, EvalSettings(), device)
    rng = np.random.default_rng(args.seed)

    # the feature space: class means and training writers' vectors from the real training glyphs
    raw = classify(setup.wclf, train_set.images, device)[1]
    class_means = np.stack([raw[train_set.labels == c].mean(0) for c in range(len(train_set.classes))])
    centred = raw - class_means[train_set.labels]
    writer_vectors = np.stack([centred[train_set.writers == w].mean(0) for w in sampler.writers])

    # real unseen hands: each validation writer, per_hand glyphs at a time (several draws where it has enough)
    val_feats = _centred_features(setup.wclf, val_set.images, val_set.labels, class_means, device)
    real_novelty, class_mixes = [], []
    for w in val_set.writer_ids:
        mine = np.flatnonzero(val_set.writers == w)
        for _ in range(max(1, args.hands // len(val_set.writer_ids))):
            pick = rng.choice(mine, min(args.per_hand, len(mine)), replace=False)
            real_novelty.append(_nearest_distance(val_feats[pick].mean(0), writer_vectors))
            class_mixes.append(val_set.labels[pick])

    def hand_glyphs(code: torch.Tensor, labels: np.ndarray, seed: int) -> np.ndarray:
        names = [sampler.classes[i] for i in labels]
        return sampler.sample_rows(names, code[None].expand(len(names), -1), seed=seed)

    modes: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    train_writers = rng.choice(sampler.writers, args.hands, replace=len(sampler.writers) < args.hands)
    modes["per-writer"] = [(labels := class_mixes[i % len(class_mixes)],
                            hand_glyphs(sampler.writer_style(int(w)), labels, args.seed + i))
                           for i, w in enumerate(train_writers)]
    scales = [float(s) for s in args.scales.split(",")]
    hands_at: dict[float, list] = {}
    for scale in scales:
        hand_rng = np.random.default_rng([args.seed, int(scale * 1000)])
        hands_at[scale] = [novel_hand(sampler.writer_styles, sampler.writers, hand_rng, scale) for _ in range(args.hands)]
        modes[f"novel x{scale:g}"] = [(labels := class_mixes[i % len(class_mixes)],
                                       hand_glyphs(h.code, labels, args.seed + 1000 + i))
                                      for i, h in enumerate(hands_at[scale])]

    spaces = {"pixels": pixel_features, "classifier": lambda x: classify(setup.clf, x, device)[1]}
    real_by_class = {c: val_set.images[val_set.labels == c] for c in range(len(val_set.classes))
                     if (val_set.labels == c).sum() >= MIN_REAL}

    def realism(hands: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
        labels = np.concatenate([lab for lab, _ in hands])
        images = np.concatenate([img for _, img in hands])
        out = {}
        for space, featurize in spaces.items():
            per_class = []
            for c, real in real_by_class.items():
                fake = images[labels == c][: len(real)]
                if len(fake) >= 10:
                    per_class.append(precision_recall(featurize(real), featurize(fake), k=3)[0])
            out[space] = round(float(np.median(per_class)), 4)
        return out

    report: dict[str, object] = {"real_unseen_writers": {"novelty": _summary(real_novelty)}}
    for name, hands in modes.items():
        novelty = [_nearest_distance(_centred_features(setup.wclf, img, lab, class_means, device).mean(0),
                                     writer_vectors) for lab, img in hands]
        report[name] = {"novelty": _summary(novelty), "precision_median": realism(hands)}
    real_mean = report["real_unseen_writers"]["novelty"]["mean"]
    chosen = min(scales, key=lambda s: abs(report[f"novel x{s:g}"]["novelty"]["mean"] - real_mean))
    per_writer_precision = report["per-writer"]["precision_median"]
    report["chosen_scale"] = chosen
    report["targets"] = {
        f"novel x{s:g}": {
            "novelty_within_25_percent": bool(abs(report[f"novel x{s:g}"]["novelty"]["mean"] / real_mean - 1) <= 0.25),
            "precision_within_0.05": {space: bool(report[f"novel x{s:g}"]["precision_median"][space]
                                                  >= per_writer_precision[space] - 0.05) for space in spaces}}
        for s in scales}
    report["settings"] = {"hands": args.hands, "per_hand": args.per_hand, "scales": scales, "seed": args.seed,
                          "val_writers": list(val_set.writer_ids), "knn_k": 3, "min_real_per_class": MIN_REAL}
    report["provenance"] = {**provenance(), "checkpoint": str(checkpoint), "checkpoint_sha256": checkpoint_sha256,
                            "data_fingerprint": data_fingerprint(glyphs), "seconds": round(time.time() - t0)}
    atomic_write_json(args.out, report)
    if args.figure:
        save_figure(sampler, val_set, hands_at[chosen][:6], args.figure, args.seed)
    print(f"wrote {args.out}: chosen scale {chosen}")


def save_figure(sampler, val_set: GlyphSet, hands, out: str, seed: int) -> None:
    """Two real validation writers (one real glyph per class), then six new hands (the same classes)."""
    from gan.grid import save_glyph_grid

    classes = [c for c in FIGURE_CLASSES if c in sampler.classes and c in val_set.classes]
    rng = np.random.default_rng(seed)
    blank = np.zeros(val_set.images.shape[1:], np.uint8)
    rows = []
    for w in val_set.writer_ids[:2]:
        cells = []
        for c in classes:
            mine = np.flatnonzero((val_set.writers == w) & (val_set.labels == val_set.classes.index(c)))
            cells.append(val_set.images[rng.choice(mine)] if len(mine) else blank)
        rows.append((f"writer {w}, real", np.stack(cells)))
    for i, hand in enumerate(hands):
        glyphs = sampler.sample_rows(classes, hand.code[None].expand(len(classes), -1), seed=seed + i)
        rows.append((hand.describe().replace("novel ", ""), (glyphs * 255).round().astype(np.uint8)))
    save_glyph_grid(rows, out, title=f"{', '.join(classes)}: two real validation writers, then six new hands")


if __name__ == "__main__":
    main()
