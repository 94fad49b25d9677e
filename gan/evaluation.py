"""How good are the generated glyphs? Measured with networks the GAN never saw.

An independent ``GlyphClassifier`` (not the GAN's recognizer) is trained on real training glyphs, once per glyph set,
and cached next to the data. With it:

  GAN-test   accuracy of the real-trained classifier on generated glyphs (are they recognisable?)
  GAN-train  accuracy on real eval-writer glyphs of a classifier trained only on generated glyphs, next to the same
             classifier trained on as many real glyphs (do they cover what real glyphs vary in?)
  FID        Frechet distance in the classifier's penultimate features, generated vs real with the same
             (class, writer) mix; real-vs-real between two independent draws is the floor
  style      accuracy of a real-trained writer classifier on glyphs generated in a given writer's style: per glyph,
             and per set of ``style_set_size`` glyphs of one writer (summed log-probabilities), because one glyph
             carries little of a hand (16 % of 44 writers on real glyphs) and a set shows what the hand shares

The metric functions take arrays, so feeding real glyphs as "generated" checks the measuring stick itself.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from gan.checkpoint import GlyphSampler, load_generator
from gan.files import atomic_write
from gan.glyphset import GlyphSet, GlyphSetError

# generate(labels (N,), writers (N,) CVC-MUSCIMA numbers) -> (N, S, S) float in [0, 1], 1 = ink
GenerateFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
CLASSIFIER_FORMAT = "ganmash-eval-classifier"
CLASSIFIER_VERSION = 1


@dataclass(frozen=True)
class EvalSettings:
    n_generated: int = 4000  # glyphs generated (and real glyphs drawn per comparison)
    classifier_steps: int = 1500
    classifier_batch: int = 64
    heldout_fraction: float = 0.1  # of the training set, kept from the cached classifiers to measure them on
    min_fid_samples: int = 20  # per-class FID only for classes with at least this many glyphs on both sides
    style_set_size: int = 8  # glyphs per writer set for the set-level style accuracy
    seed: int = 0


class GlyphClassifier(nn.Module):
    """Plain VGG-ish CNN with batch norm and max pooling: deliberately unlike the GAN's networks."""

    def __init__(self, n_out: int, image_size: int, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in, res, c = 1, image_size, width
        while res > 4:
            layers += [nn.Conv2d(c_in, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2)]
            c_in, res, c = c, res // 2, min(2 * c, 128)
        self.features_net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (B, c_in)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(c_in, n_out))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features_net(x)  # (B, F): the space FID is measured in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, n_out)


def _as_input(images: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(images))
    return (t.float() / 255 if t.dtype == torch.uint8 else t.float())[:, None]  # (N, 1, S, S), 1 = ink


def train_classifier(images: np.ndarray, targets: np.ndarray, n_out: int, settings: EvalSettings,
                     device: torch.device, seed: int, weights: np.ndarray | None = None) -> GlyphClassifier:
    """Train on (N, S, S) glyphs (uint8 255 = ink or float 1 = ink) with a few pixels of random shift.

    Batches are drawn uniformly with replacement, or in proportion to ``weights`` (N,) when given (e.g. to fix the
    share of each source in a batch when two sources are concatenated).
    """
    g = torch.Generator().manual_seed(seed)
    p = None if weights is None else torch.as_tensor(np.asarray(weights, np.float64))
    x_all, y_all = _as_input(images), torch.from_numpy(targets.astype(np.int64))
    # Initialisation and dropout draw from torch's global stream: seed it here (and leave the caller's alone) so the
    # same seed gives the same classifier, and evaluation figures repeat exactly.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        clf = GlyphClassifier(n_out, images.shape[1]).to(device)
        opt = torch.optim.Adam(clf.parameters(), lr=2e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=settings.classifier_steps)
        clf.train()
        for _ in range(settings.classifier_steps):
            idx = torch.randint(len(x_all), (settings.classifier_batch,), generator=g) if p is None \
                else torch.multinomial(p, settings.classifier_batch, replacement=True, generator=g)
            dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
            x = torch.roll(x_all[idx], shifts=(dx, dy), dims=(2, 3)).to(device)
            loss = F.cross_entropy(clf(x), y_all[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return clf.eval()


@torch.inference_mode()
def classify(clf: GlyphClassifier, images: np.ndarray, device: torch.device,
             batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Predicted index (N,) and penultimate features (N, F)."""
    clf.eval()
    preds, feats = [], []
    for i in range(0, len(images), batch_size):
        f = clf.features(_as_input(images[i:i + batch_size]).to(device))
        preds.append(clf.head(f).argmax(1).cpu().numpy())
        feats.append(f.float().cpu().numpy())
    if not preds:
        return np.zeros(0, np.int64), np.zeros((0, 1), np.float32)
    return np.concatenate(preds), np.concatenate(feats).astype(np.float64)


@torch.inference_mode()
def log_probs(clf: GlyphClassifier, features: np.ndarray) -> np.ndarray:
    """Log-probabilities (N, n_out) from the penultimate features ``classify`` returned."""
    device = next(clf.head.parameters()).device
    return F.log_softmax(clf.head(torch.from_numpy(features).float().to(device)), 1).cpu().numpy()


def set_accuracy(log_p: np.ndarray, truth: np.ndarray, set_size: int, rng: np.random.Generator) -> dict[str, Any]:
    """Accuracy of naming a set's target from ``set_size`` rows of the same target, by summed log-probabilities.

    Rows of each target are shuffled and cut into whole sets (leftovers dropped): what several glyphs of one hand
    say together, which is what style is.
    """
    hits = []
    for t in np.unique(truth):
        rows = rng.permutation(np.flatnonzero(truth == t))
        for i in range(0, len(rows) - set_size + 1, set_size):
            hits.append(int(log_p[rows[i:i + set_size]].sum(0).argmax() == t))
    return {"accuracy": round(float(np.mean(hits)), 4) if hits else None, "sets": len(hits)}


def accuracy_report(pred: np.ndarray, truth: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """Overall accuracy, and per name (None where ``truth`` has no such glyph)."""
    per = {}
    for i, name in enumerate(names):
        m = truth == i
        per[name] = round(float((pred[m] == i).mean()), 4) if m.any() else None
    present = [v for v in per.values() if v is not None]
    return {"overall": round(float((pred == truth).mean()), 4) if len(truth) else None,
            # the overall figure is dominated by noteheads and stems; this one weighs every class alike
            "mean_per_class": round(float(np.mean(present)), 4) if present else None, "per_class": per}


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to feature rows a (N, F) and b (M, F)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr(sqrt(cov_a cov_b)) = tr(sqrt(A^1/2 cov_b A^1/2)) with A = cov_a: symmetric, so eigh is stable.
    w, v = np.linalg.eigh(cov_a)
    sqrt_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a)
    fd = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(np.clip(inner, 0, None)).sum()
    return float(max(fd, 0.0))


def fid_report(feat_gen: np.ndarray, labels_gen: np.ndarray, feat_real: np.ndarray, labels_real: np.ndarray,
               names: Sequence[str], min_samples: int) -> dict[str, Any]:
    per = {}
    for i, name in enumerate(names):
        a, b = feat_gen[labels_gen == i], feat_real[labels_real == i]
        per[name] = round(frechet_distance(a, b), 3) if min(len(a), len(b)) >= min_samples else None
    return {"overall": round(frechet_distance(feat_gen, feat_real), 3), "per_class": per}


# -- cached real-data classifiers ---------------------------------------------------------------------------------
def _fingerprint(glyphs: GlyphSet, kind: str, settings: EvalSettings) -> str:
    h = hashlib.sha256()
    for a in (glyphs.labels, glyphs.writers, glyphs.images[:: max(1, len(glyphs.images) // 256)]):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((kind, glyphs.classes, settings.classifier_steps, settings.classifier_batch,
                   settings.heldout_fraction, settings.seed)).encode())
    return h.hexdigest()[:16]


def cached_classifier(cache_path: Path, glyphs: GlyphSet, train_mask: np.ndarray, targets: np.ndarray, n_out: int,
                      kind: str, settings: EvalSettings, device: torch.device) -> GlyphClassifier:
    """A classifier of ``targets`` trained on ``glyphs[train_mask]``; reused from ``cache_path`` when it matches."""
    key = _fingerprint(glyphs, kind, settings)
    if cache_path.is_file():
        try:
            ck = torch.load(cache_path, map_location="cpu", weights_only=True)
            if ck.get("format") == CLASSIFIER_FORMAT and ck.get("version") == CLASSIFIER_VERSION \
                    and ck.get("key") == key:
                clf = GlyphClassifier(n_out, glyphs.image_size)
                clf.load_state_dict(ck["state_dict"])
                return clf.to(device).eval()
        except Exception:  # a damaged cache is only a cache: retrain
            pass
    clf = train_classifier(glyphs.images[train_mask], targets[train_mask], n_out, settings, device,
                           seed=settings.seed)
    state = {"format": CLASSIFIER_FORMAT, "version": CLASSIFIER_VERSION, "key": key, "kind": kind,
             "state_dict": {k: v.cpu() for k, v in clf.state_dict().items()}}
    try:
        atomic_write(cache_path, lambda f: torch.save(state, f))
    except OSError:
        pass  # read-only data folder: works, just slower next time
    return clf


# -- the measurements ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasuringSetup:
    rng: np.random.Generator  # seeded by settings.seed; measure's draws continue from it
    heldout: np.ndarray  # (N,) bool: training glyphs the cached classifiers never saw
    clf: GlyphClassifier  # class classifier
    wclf: GlyphClassifier  # writer classifier
    writers: np.ndarray  # (W,) writer numbers, the writer classifier's outputs
    writer_idx: np.ndarray  # (N,) each training glyph's index into ``writers``


def measuring_setup(train_set: GlyphSet, cache_dir: str | os.PathLike, settings: EvalSettings,
                    device: torch.device) -> MeasuringSetup:
    """The held-out split and the cached real-data classifiers every measurement starts from."""
    writers = np.asarray(train_set.writer_ids)
    writer_idx = np.searchsorted(writers, train_set.writers)
    rng = np.random.default_rng(settings.seed)
    n = len(train_set.images)
    heldout = np.zeros(n, bool)
    heldout[rng.permutation(n)[: max(1, int(n * settings.heldout_fraction))]] = True
    cache_dir = Path(cache_dir)
    clf = cached_classifier(cache_dir / ".ganmash_classifier.pt", train_set, ~heldout, train_set.labels,
                            len(train_set.classes), "class", settings, device)
    wclf = cached_classifier(cache_dir / ".ganmash_writer_classifier.pt", train_set, ~heldout, writer_idx,
                             len(writers), "writer", settings, device)
    return MeasuringSetup(rng, heldout, clf, wclf, writers, writer_idx)


def measure(generate: GenerateFn, train_set: GlyphSet, eval_set: GlyphSet, cache_dir: str | os.PathLike,
            settings: EvalSettings = EvalSettings(), device: str | torch.device = "cpu") -> dict[str, Any]:
    """All measures for a generator given as a function; see the module docstring."""
    device = torch.device(device)
    if tuple(eval_set.classes) != tuple(train_set.classes):
        raise GlyphSetError("training and evaluation glyph sets have different class lists")
    if eval_set.image_size != train_set.image_size:
        raise GlyphSetError(f"training glyphs are {train_set.image_size} px, evaluation glyphs "
                            f"{eval_set.image_size} px")
    names, s = train_set.classes, settings
    setup = measuring_setup(train_set, cache_dir, s, device)
    rng, heldout, writers, writer_idx = setup.rng, setup.heldout, setup.writers, setup.writer_idx
    clf, wclf = setup.clf, setup.wclf
    n = len(train_set.images)

    # Two independent draws of real glyphs: ref is what generated glyphs are compared with, draw2 fixes the
    # (class, writer) of each generated glyph and is the real-vs-real floor.
    m = min(s.n_generated, n)
    ref = rng.choice(n, m, replace=m > n // 2)
    draw2 = rng.choice(n, m, replace=m > n // 2)
    labels2, writers2 = train_set.labels[draw2], train_set.writers[draw2]
    gen = np.asarray(generate(labels2, writers2), np.float32)
    if gen.shape != (m, train_set.image_size, train_set.image_size):
        raise ValueError(f"generate returned {gen.shape}, expected {(m, train_set.image_size, train_set.image_size)}")

    pred_gen, feat_gen = classify(clf, gen, device)
    pred_ref, feat_ref = classify(clf, train_set.images[ref], device)
    _, feat_2 = classify(clf, train_set.images[draw2], device)
    pred_held, _ = classify(clf, train_set.images[heldout], device)
    pred_eval, _ = classify(clf, eval_set.images, device)
    wpred_gen, wfeat_gen = classify(wclf, gen, device)
    wpred_held, wfeat_held = classify(wclf, train_set.images[heldout], device)

    # GAN-train: same classifier, same steps, as many glyphs, generated vs real; both judged on eval writers.
    gen_clf = train_classifier(gen, labels2, len(names), s, device, seed=s.seed + 1)
    real_clf = train_classifier(train_set.images[draw2], labels2, len(names), s, device, seed=s.seed + 1)
    acc_gen_trained = accuracy_report(classify(gen_clf, eval_set.images, device)[0], eval_set.labels, names)
    acc_real_trained = accuracy_report(classify(real_clf, eval_set.images, device)[0], eval_set.labels, names)

    gan_test = accuracy_report(pred_gen, labels2, names)
    widx_gen = np.searchsorted(writers, writers2)
    k = s.style_set_size
    real_heldout = accuracy_report(pred_held, train_set.labels[heldout], names)
    return {
        "n_generated": m,
        "gan_test": {**gan_test,
                     "real_heldout_accuracy": real_heldout["overall"],
                     "real_eval_accuracy": accuracy_report(pred_eval, eval_set.labels, names)["overall"],
                     "ratio_to_real": _ratio(gan_test["overall"], real_heldout["overall"])},
        "gan_train": {"generated_trained": acc_gen_trained, "real_trained": acc_real_trained,
                      "ratio": _ratio(acc_gen_trained["overall"], acc_real_trained["overall"])},
        "fid": {**fid_report(feat_gen, labels2, feat_ref, train_set.labels[ref], names, s.min_fid_samples),
                "real_vs_real": round(frechet_distance(feat_2, feat_ref), 3)},
        "style": {"writer_accuracy_generated": round(float((wpred_gen == widx_gen).mean()), 4),
                  "writer_accuracy_real_heldout": round(float((wpred_held == writer_idx[heldout]).mean()), 4),
                  "chance": round(1 / len(writers), 4),
                  "set_size": k,
                  "set_writer_accuracy_generated": set_accuracy(log_probs(wclf, wfeat_gen), widx_gen, k, rng),
                  "set_writer_accuracy_real_heldout": set_accuracy(log_probs(wclf, wfeat_held), writer_idx[heldout],
                                                                   k, rng)},
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def sampler_generate_fn(sampler: GlyphSampler, classes: Sequence[str], seed: int) -> GenerateFn:
    """Generation by class index and writer number, one batch per writer."""
    if tuple(classes) != sampler.classes:
        raise GlyphSetError("the checkpoint was trained on other classes than this glyph set")

    def generate(labels: np.ndarray, writers: np.ndarray) -> np.ndarray:
        out = np.empty((len(labels), sampler.image_size, sampler.image_size), np.float32)
        gen = torch.Generator().manual_seed(seed)
        for w in np.unique(writers):
            m = writers == w
            out[m] = sampler.sample([classes[i] for i in labels[m]], writer=int(w), generator=gen)
        return out

    return generate


def evaluate(checkpoint: str | os.PathLike, train_data_dir: str | os.PathLike, eval_data_dir: str | os.PathLike,
             device: str = "cpu", settings: EvalSettings = EvalSettings()) -> dict[str, Any]:
    """Measure a checkpoint's EMA generator. Classifiers of real data are cached in ``train_data_dir``."""
    from gan.training import resolve_device

    dev = resolve_device(device)
    train_set, eval_set = GlyphSet.load(train_data_dir), GlyphSet.load(eval_data_dir)
    sampler = load_generator(checkpoint, dev)
    if sampler.image_size != train_set.image_size:
        raise GlyphSetError(f"checkpoint makes {sampler.image_size} px glyphs, {train_data_dir} has "
                            f"{train_set.image_size} px")
    if not set(train_set.writer_ids) <= set(sampler.writers):
        raise GlyphSetError(f"{train_data_dir} has writers the checkpoint was not trained on")
    with torch.random.fork_rng(devices=[]):
        result = measure(sampler_generate_fn(sampler, train_set.classes, settings.seed), train_set, eval_set,
                         train_data_dir, settings, dev)
    result["style"]["code_spread"] = style_code_spread(sampler.writer_styles.float().cpu().numpy())
    return {"checkpoint": str(checkpoint), "train_data": str(train_data_dir), "eval_data": str(eval_data_dir),
            **result}


def style_code_spread(codes: np.ndarray) -> dict[str, float]:
    """How different the writers' style codes are: a generator cannot follow a style its encoder does not tell apart.

    ``mean_cosine`` between two writers' codes (1 = one code for everyone) and ``relative_spread``, the mean
    per-dimension std across writers over the mean code's RMS (0 = collapsed).
    """
    unit = codes / np.linalg.norm(codes, axis=1, keepdims=True).clip(1e-12)
    cos = unit @ unit.T
    off = cos[~np.eye(len(codes), dtype=bool)]
    rms = float(np.sqrt((codes.mean(0) ** 2).mean()))
    return {"mean_cosine": round(float(off.mean()), 4) if len(off) else 1.0,
            "relative_spread": round(float(codes.std(0).mean() / max(rms, 1e-12)), 4)}
