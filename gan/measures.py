"""Measures that can see mode collapse: k-NN precision and recall, diversity, KID, writer retrieval.

Each takes feature rows, so it works the same in plain pixels (``pixel_features``: glyphs averaged down to 32x32)
and in a classifier's feature space. Every figure is meant to be read next to the same measure of real glyphs
against real glyphs (two disjoint halves of the held-out set), which ``variety_report`` computes alongside.

  precision   share of generated samples inside the real manifold: within the k-NN radius of some real sample
  recall      share of real samples inside the generated manifold (Kynkaanniemi et al., NeurIPS 2019, k = 3);
              a generator that repeats one glyph covers almost nothing, however good the glyph
  diversity   mean pairwise distance among generated samples over the same among real ones (1 = as varied)
  coverage    share of real samples with a generated one inside their own k-NN ball (Naeem et al., 2020)
  KID         unbiased squared MMD with the cubic polynomial kernel (Binkowski et al., ICLR 2018); unlike FID
              it has no bias from the sample size, so small sets can be compared
  retrieval   from k reference glyphs of a held-out writer, do the generated glyphs' writer features lie nearest
              that writer's real glyphs among the held-out writers? (chance 1 / writers)
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

PIXEL_SIZE = 32  # glyphs are compared at 32x32: detail finer than this is stroke noise, not shape


def pixel_features(images: np.ndarray, size: int = PIXEL_SIZE) -> np.ndarray:
    """(N, S, S) glyphs (uint8 255 = ink, or float 1 = ink) -> (N, size*size) float32 in [0, 1], area-averaged."""
    t = torch.from_numpy(np.ascontiguousarray(images))
    t = (t.float() / 255 if t.dtype == torch.uint8 else t.float())[:, None]  # (N, 1, S, S)
    if t.shape[-1] > size:
        t = F.adaptive_avg_pool2d(t, size)  # (N, 1, size, size)
    return t.flatten(1).numpy()


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances (len(a), len(b)) in float64."""
    return torch.cdist(torch.from_numpy(np.asarray(a, np.float64)), torch.from_numpy(np.asarray(b, np.float64))).numpy()


def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance of each row to its k-th nearest other row (N,); the radius of its ball in the manifold estimate."""
    d = _distances(x, x)
    np.fill_diagonal(d, np.inf)
    k = min(k, len(x) - 1)
    return np.partition(d, k - 1, axis=1)[:, k - 1]


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """k-NN precision and recall of ``fake`` (M, F) against ``real`` (N, F); both need more than k rows."""
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} rows on each side")
    d = _distances(fake, real)  # (M, N)
    precision = float((d <= knn_radii(real, k)[None, :]).any(1).mean())  # fake within some real ball
    recall = float((d <= knn_radii(fake, k)[:, None]).any(0).mean())  # real within some fake ball
    return precision, recall


def coverage(real: np.ndarray, fake: np.ndarray, k: int = 3) -> float:
    """Share of real rows whose own k-NN ball (radius from the real rows) holds some fake row (Naeem et al., ICML
    2020). Unlike recall, the balls do not grow when the fake rows are few, so it rises with their number."""
    return float((_distances(real, fake) <= knn_radii(real, k)[:, None]).any(1).mean())


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of distinct rows (0 for a single repeated row)."""
    if len(x) < 2:
        raise ValueError("diversity needs at least 2 rows")
    d = _distances(x, x)
    return float(d[np.triu_indices(len(x), 1)].mean())


def kid(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator, subsets: int = 50,
        subset_size: int = 1000) -> float:
    """Kernel Inception Distance: unbiased MMD^2 with k(x, y) = (x.y / dim + 1)^3, averaged over random subsets."""
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise ValueError("KID needs at least 2 rows on each side")
    dim = real.shape[1]
    total = 0.0
    for _ in range(subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T / dim + 1) ** 3, (y @ y.T / dim + 1) ** 3, (x @ y.T / dim + 1) ** 3)
        off = ~np.eye(m, dtype=bool)
        total += kxx[off].mean() + kyy[off].mean() - 2 * kxy.mean()
    return float(total / subsets)


# -- per-class variety against held-out real glyphs ----------------------------------------------------------------
Featurize = Callable[[np.ndarray], np.ndarray]  # (N, S, S) glyphs -> (N, F) rows


def class_variety(real_b: np.ndarray, candidates: dict[str, np.ndarray], spaces: dict[str, Featurize],
                  k: int = 3) -> dict[str, dict[str, dict[str, float]]]:
    """Precision, recall and diversity ratio of each candidate glyph set against the real glyphs ``real_b``.

    Returns {space: {candidate: {precision, recall, diversity}}}; candidates should be as many as each other
    (k-NN recall grows with the number of samples), which ``variety_report`` sees to.
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    for space, featurize in spaces.items():
        real = featurize(real_b)
        real_div = mean_pairwise_distance(real)
        out[space] = {}
        for name, images in candidates.items():
            fake = featurize(images)
            p, r = precision_recall(real, fake, k)
            out[space][name] = {"precision": round(p, 4), "recall": round(r, 4),
                                "diversity": round(mean_pairwise_distance(fake) / max(real_div, 1e-12), 4)}
    return out


def summarize_variety(per_class: dict[str, dict[str, Any]], counts: dict[str, int],
                      min_glyphs_for_min: int = 50) -> dict[str, Any]:
    """Medians over classes of each (space, candidate, measure), the lowest recall among classes with at least
    ``min_glyphs_for_min`` held-out glyphs, and the lowest diversity ratio of any class."""
    if not per_class:
        return {}
    first = next(iter(per_class.values()))
    summary: dict[str, Any] = {}
    for space, by_candidate in first.items():
        summary[space] = {}
        for cand in by_candidate:
            rows = {c: v[space][cand] for c, v in per_class.items()}
            big = [r["recall"] for c, r in rows.items() if counts[c] >= min_glyphs_for_min]
            summary[space][cand] = {
                **{f"median_{m}": round(float(np.median([r[m] for r in rows.values()])), 4)
                   for m in ("precision", "recall", "diversity")},
                f"min_recall_classes_ge_{min_glyphs_for_min}": round(float(min(big)), 4) if big else None,
                "min_diversity": round(float(min(r["diversity"] for r in rows.values())), 4),
            }
    return summary


def variety_report(generate_class: Callable[[int, int], np.ndarray], heldout_images: np.ndarray,
                   heldout_labels: np.ndarray, train_images: np.ndarray, train_labels: np.ndarray,
                   names: Sequence[str], spaces: dict[str, Featurize], rng: np.random.Generator,
                   min_glyphs: int = 20, cap: int = 200, k: int = 3) -> dict[str, Any]:
    """Per-class variety of generated glyphs against held-out real glyphs, with both references.

    For each class with at least ``min_glyphs`` held-out glyphs, those glyphs (at most 2 x ``cap``) are split into
    disjoint halves A and B. B is the real set; against it are measured, each with as many glyphs as A:
      generated      ``generate_class(class_index, n)``
      real_vs_real   A itself (what a perfect model of the held-out writers would score)
      train_writers  real glyphs of the training writers (what a perfect model of the training hands can score)
    """
    per_class: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for c, name in enumerate(names):
        pool = np.flatnonzero(heldout_labels == c)
        if len(pool) < min_glyphs:
            continue
        pool = rng.permutation(pool)[: 2 * cap]
        half = len(pool) // 2
        a, b = pool[:half], pool[half: 2 * half]
        train_pool = np.flatnonzero(train_labels == c)
        candidates = {"generated": generate_class(c, half), "real_vs_real": heldout_images[a]}
        if len(train_pool) > k:
            candidates["train_writers"] = train_images[rng.choice(train_pool, half, replace=len(train_pool) < half)]
        per_class[name] = class_variety(heldout_images[b], candidates, spaces, k)
        counts[name] = int((heldout_labels == c).sum())
    # a class with too few training glyphs has no train_writers row: summarise over the rows all classes share
    shared = set.intersection(*(set(v[next(iter(v))]) for v in per_class.values())) if per_class else set()
    trimmed = {c: {s: {m: r for m, r in by.items() if m in shared} for s, by in v.items()}
               for c, v in per_class.items()}
    return {"k": k, "min_glyphs": min_glyphs, "cap_per_half": cap, "heldout_glyphs": counts,
            "summary": summarize_variety(trimmed, counts), "per_class": per_class}


# -- style of unseen writers ---------------------------------------------------------------------------------------
def writer_retrieval(features: np.ndarray, writers: np.ndarray, labels: np.ndarray,
                     probe_features: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
                     rng: np.random.Generator, trials: int = 20, k_refs: int = 8, probe: int = 8) -> dict[str, Any]:
    """How often a probe set made from a held-out writer's references lies nearest that writer.

    ``features`` (N, F) are writer features of the held-out real glyphs (``writers`` (N,), ``labels`` (N,)). Per
    writer and trial: ``k_refs`` of its glyphs are references, ``probe`` others set the classes asked for, and
    ``probe_features(ref_idx, probe_idx, probe_labels)`` returns (probe, F) features of the probe glyphs, real or
    generated from the references. Features are centred per class (the mean feature of each class over the
    held-out glyphs is removed), so a set is matched by its hand, not by which classes it happens to hold. The
    probe's mean feature is matched to each writer's centroid (the writer's own centroid leaves out its refs and
    probe) by cosine similarity.
    """
    class_mean = {int(c): features[labels == c].astype(np.float64).mean(0) for c in np.unique(labels)}

    def centre(f: np.ndarray, f_labels: np.ndarray) -> np.ndarray:
        return f.astype(np.float64) - np.stack([class_mean[int(c)] for c in f_labels])

    feats = centre(features, labels)
    ids = np.unique(writers)
    sums = np.stack([feats[writers == w].sum(0) for w in ids])
    counts = np.array([(writers == w).sum() for w in ids])
    hits, used = [], []
    for wi, w in enumerate(ids):
        rows = np.flatnonzero(writers == w)
        if len(rows) < k_refs + probe + 2:
            continue
        used.append(int(w))
        for _ in range(trials):
            pick = rng.permutation(rows)
            refs, probe_idx = pick[:k_refs], pick[k_refs:k_refs + probe]
            centroids = sums.copy() / counts[:, None]
            centroids[wi] = (sums[wi] - feats[pick[:k_refs + probe]].sum(0)) / (counts[wi] - k_refs - probe)
            q = centre(probe_features(refs, probe_idx, labels[probe_idx]), labels[probe_idx]).mean(0)
            sims = centroids @ q / (np.linalg.norm(centroids, axis=1) * np.linalg.norm(q) + 1e-12)
            hits.append(int(ids[int(np.argmax(sims))] == w))
    return {"accuracy": round(float(np.mean(hits)), 4) if hits else None, "trials": len(hits),
            "writers": used, "chance": round(1 / len(used), 4) if used else None}

