"""How good are the generated glyphs? Measured with networks the GAN never saw.

An independent ``GlyphClassifier`` (not the GAN's recognizer) is trained on real training glyphs, once per glyph set,
and cached next to the data. With it:

  GAN-test   accuracy of the real-trained classifier on generated glyphs (are they recognisable?)
  GAN-train  accuracy on real eval-writer glyphs of a classifier trained only on generated glyphs, next to the same
             classifier trained on as many real glyphs (do they cover what real glyphs vary in?)
  FID, KID   distances in the classifier's penultimate features between generated glyphs and one half of the
             held-out writers' glyphs, at a fixed N, with the other half as the real-vs-real reference
  variety    per class k-NN precision and recall, and the diversity ratio, against the held-out writers' glyphs, in
             plain 32x32 pixels and in the classifier's features (``gan.measures``); next to real-vs-real (two
             halves of the held-out glyphs) and the training writers' real glyphs (the ceiling for a model of them)
  style      accuracy of a real-trained writer classifier on glyphs generated in a given training writer's style:
             per glyph, and per set of ``style_set_size`` glyphs of one writer (summed log-probabilities), because
             one glyph carries little of a hand (16 % of 44 writers on real glyphs) and a set shows what it shares
  unseen     from 8 glyphs of a held-out writer, do the generated glyphs' writer features lie nearest that
             writer's real glyphs among the held-out writers? (``gan.measures.writer_retrieval``; chance 1/writers)

The held-out writers are a **split**: ``val``, the training writers a run kept out of training
(``TrainConfig.val_writers``), on which recipes and checkpoints are chosen; or ``test``, the evaluation writers
(13, 17, 20, 34, 41, 49), only reported. The metric functions take arrays, so feeding real glyphs as "generated"
checks the measuring stick itself.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from gan.checkpoint import GlyphSampler, load_checkpoint, load_generator
from gan.device import resolve_device
from gan.files import atomic_write
from gan.glyphset import GlyphSet, GlyphSetError
from gan.measures import kid, pixel_features, variety_report, writer_retrieval
from gan.provenance import data_fingerprint, file_sha256, provenance

# generate(labels (N,), writers (N,) CVC-MUSCIMA numbers) -> (N, S, S) float in [0, 1], 1 = ink
GenerateFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
CLASSIFIER_FORMAT = "ganmash-eval-classifier"
CLASSIFIER_VERSION = 1


@dataclass(frozen=True)
class EvalSettings:
    n_generated: int = 4000  # glyphs generated for GAN-test, GAN-train and the training writers' style
    classifier_steps: int = 1500
    classifier_batch: int = 64
    heldout_fraction: float = 0.1  # of the training set, kept from the cached classifiers to measure them on
    fid_n: int = 2000  # glyphs per side for FID and KID (fixed: FID's bias depends on N)
    style_set_size: int = 8  # glyphs per writer set for the set-level style accuracy
    variety_cap: int = 200  # held-out glyphs per half and class for precision / recall / diversity
    variety_min_glyphs: int = 20  # classes with fewer held-out glyphs are left out of the variety measures
    knn_k: int = 3
    retrieval_trials: int = 20  # per held-out writer
    retrieval_refs: int = 8  # reference glyphs the generator is given per trial (and probe glyphs it draws)
    gan_train: bool = True  # the slow part (two classifiers trained); the training log skips it
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


# -- cached real-data classifiers ---------------------------------------------------------------------------------
def _fingerprint(glyphs: GlyphSet, kind: str, settings: EvalSettings) -> str:
    h = hashlib.sha256()
    for a in (glyphs.labels, glyphs.writers, glyphs.images[:: max(1, len(glyphs.images) // 256)]):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((kind, glyphs.classes, settings.classifier_steps, settings.classifier_batch,
                   settings.heldout_fraction, settings.seed)).encode())
    return h.hexdigest()[:16]


def cached_classifier(cache_dir: Path, glyphs: GlyphSet, train_mask: np.ndarray, targets: np.ndarray, n_out: int,
                      kind: str, settings: EvalSettings, device: torch.device) -> GlyphClassifier:
    """A classifier of ``targets`` trained on ``glyphs[train_mask]``; reused from ``cache_dir`` when one was
    trained on the same glyphs with the same settings (the file name carries that key, so the classifiers of
    several training subsets, e.g. other validation splits, live side by side)."""
    key = _fingerprint(glyphs, kind, settings)
    cache_path = cache_dir / f".ganmash_{kind}_classifier-{key}.pt"
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
    """The held-out split and the cached real-data classifiers every measurement starts from. ``train_set`` is
    what the GAN trained on (its validation writers removed): the classifiers know only the training hands."""
    writers = np.asarray(train_set.writer_ids)
    writer_idx = np.searchsorted(writers, train_set.writers)
    rng = np.random.default_rng(settings.seed)
    n = len(train_set.images)
    heldout = np.zeros(n, bool)
    heldout[rng.permutation(n)[: max(1, int(n * settings.heldout_fraction))]] = True
    cache_dir = Path(cache_dir)
    clf = cached_classifier(cache_dir, train_set, ~heldout, train_set.labels, len(train_set.classes), "class",
                            settings, device)
    wclf = cached_classifier(cache_dir, train_set, ~heldout, writer_idx, len(writers), "writer", settings, device)
    return MeasuringSetup(rng, heldout, clf, wclf, writers, writer_idx)


# generate_from_refs(ref_images (k, S, S) uint8, ref_labels (k,), labels (n,)) -> (n, S, S) float in [0, 1]
GenerateFromRefsFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _check_sets(train_set: GlyphSet, heldout_set: GlyphSet) -> None:
    if tuple(heldout_set.classes) != tuple(train_set.classes):
        raise GlyphSetError("training and held-out glyph sets have different class lists")
    if heldout_set.image_size != train_set.image_size:
        raise GlyphSetError(f"training glyphs are {train_set.image_size} px, held-out glyphs "
                            f"{heldout_set.image_size} px")
    shared = sorted(set(train_set.writer_ids) & set(heldout_set.writer_ids))
    if shared:
        raise GlyphSetError(f"writers {', '.join(map(str, shared))} are in both the training and the held-out set")


def _generate_like_real_draws(generate: GenerateFn, train_set: GlyphSet, n_generated: int,
                              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Glyphs that each take the (class, writer) of a random real training glyph: ``(draw, generated)``, the
    real glyphs' indices and the generated glyphs."""
    n = len(train_set.images)
    m = min(n_generated, n)
    draw = rng.choice(n, m, replace=m > n // 2)
    gen = np.asarray(generate(train_set.labels[draw], train_set.writers[draw]), np.float32)
    if gen.shape != (m, train_set.image_size, train_set.image_size):
        raise ValueError(f"generate returned {gen.shape}, expected {(m, train_set.image_size, train_set.image_size)}")
    return draw, gen


def _in_random_styles(generate: GenerateFn, writers: np.ndarray, rng: np.random.Generator,
                      labels: np.ndarray) -> np.ndarray:
    """Generated glyphs of these classes, each by a random training writer."""
    return np.asarray(generate(labels, rng.choice(writers, len(labels))), np.float32)


def _gan_test(clf: GlyphClassifier, gen: np.ndarray, labels: np.ndarray, train_set: GlyphSet, heldout: np.ndarray,
              heldout_set: GlyphSet, device: torch.device) -> dict[str, Any]:
    """The class classifier of real glyphs reads the generated ones, the held-out real ones and the split's."""
    names = train_set.classes
    gan_test = accuracy_report(classify(clf, gen, device)[0], labels, names)
    real_heldout = accuracy_report(classify(clf, train_set.images[heldout], device)[0], train_set.labels[heldout],
                                   names)
    split = accuracy_report(classify(clf, heldout_set.images, device)[0], heldout_set.labels, names)
    return {**gan_test, "real_heldout_accuracy": real_heldout["overall"],
            "real_heldout_per_class": real_heldout["per_class"], "real_split_accuracy": split["overall"],
            "ratio_to_real": _ratio(gan_test["overall"], real_heldout["overall"])}


def _gan_train(gen: np.ndarray, real: np.ndarray, labels: np.ndarray, heldout_set: GlyphSet, s: EvalSettings,
               device: torch.device) -> dict[str, Any]:
    """Same classifier, same steps, as many glyphs, generated vs real; both judged on the split."""
    names = heldout_set.classes
    gen_clf = train_classifier(gen, labels, len(names), s, device, seed=s.seed + 1)
    real_clf = train_classifier(real, labels, len(names), s, device, seed=s.seed + 1)
    acc_gen = accuracy_report(classify(gen_clf, heldout_set.images, device)[0], heldout_set.labels, names)
    acc_real = accuracy_report(classify(real_clf, heldout_set.images, device)[0], heldout_set.labels, names)
    return {"generated_trained": acc_gen, "real_trained": acc_real,
            "ratio": _ratio(acc_gen["overall"], acc_real["overall"])}


def _fid_kid(clf: GlyphClassifier, heldout_set: GlyphSet, in_random_styles: Callable[[np.ndarray], np.ndarray],
             fid_n: int, rng: np.random.Generator, device: torch.device) -> tuple[dict[str, Any], dict[str, Any]]:
    """FID and KID at a fixed N against one half of the split; the other half is the real-vs-real reference."""
    order = rng.permutation(len(heldout_set.images))
    half = len(order) // 2
    a, b = order[:half][:fid_n], order[half:2 * half][:fid_n]
    feat_a = classify(clf, heldout_set.images[a], device)[1]
    feat_b = classify(clf, heldout_set.images[b], device)[1]
    feat_fake = classify(clf, in_random_styles(heldout_set.labels[a]), device)[1]
    fid = {"n": len(a), "generated": round(frechet_distance(feat_fake, feat_b), 3),
           "real_vs_real": round(frechet_distance(feat_a, feat_b), 3)}
    kid_ = {"n": len(a), "generated": round(kid(feat_b, feat_fake, rng), 5),
            "real_vs_real": round(kid(feat_b, feat_a, rng), 5)}
    return fid, kid_


def _training_style(setup: MeasuringSetup, gen: np.ndarray, gen_writers: np.ndarray, train_set: GlyphSet,
                    set_size: int, rng: np.random.Generator, device: torch.device) -> dict[str, Any]:
    """Whether the writer classifier of real glyphs tells generated glyphs' writers as well as real ones'."""
    widx_gen = np.searchsorted(setup.writers, gen_writers)
    widx_held = setup.writer_idx[setup.heldout]
    wpred_gen, wfeat_gen = classify(setup.wclf, gen, device)
    wpred_held, wfeat_held = classify(setup.wclf, train_set.images[setup.heldout], device)
    return {
        "writer_accuracy_generated": round(float((wpred_gen == widx_gen).mean()), 4),
        "writer_accuracy_real_heldout": round(float((wpred_held == widx_held).mean()), 4),
        "chance": round(1 / len(setup.writers), 4),
        "set_size": set_size,
        "set_writer_accuracy_generated": set_accuracy(log_probs(setup.wclf, wfeat_gen), widx_gen, set_size, rng),
        "set_writer_accuracy_real_heldout": set_accuracy(log_probs(setup.wclf, wfeat_held), widx_held, set_size,
                                                         rng)}


def measure(generate: GenerateFn, train_set: GlyphSet, heldout_set: GlyphSet, cache_dir: str | os.PathLike,
            settings: EvalSettings = EvalSettings(), device: str | torch.device = "cpu",
            generate_from_refs: GenerateFromRefsFn | None = None) -> dict[str, Any]:
    """All measures for a generator given as functions; see the module docstring. ``train_set`` is what it was
    trained on, ``heldout_set`` the real glyphs of the split's writers (none of them in ``train_set``). Every
    measure draws from one generator seeded by ``settings.seed``, in this order, so a report is reproducible."""
    device = torch.device(device)
    _check_sets(train_set, heldout_set)
    s = settings
    setup = measuring_setup(train_set, cache_dir, s, device)
    rng = setup.rng
    draw, gen = _generate_like_real_draws(generate, train_set, s.n_generated, rng)
    report: dict[str, Any] = {
        "n_generated": len(draw), "heldout_writers": heldout_set.writer_ids,
        "gan_test": _gan_test(setup.clf, gen, train_set.labels[draw], train_set, setup.heldout, heldout_set, device)}
    if s.gan_train:
        report["gan_train"] = _gan_train(gen, train_set.images[draw], train_set.labels[draw], heldout_set, s, device)
    in_random_styles = functools.partial(_in_random_styles, generate, setup.writers, rng)
    report["fid"], report["kid"] = _fid_kid(setup.clf, heldout_set, in_random_styles, s.fid_n, rng, device)
    spaces = {"pixels": pixel_features, "classifier": lambda x: classify(setup.clf, x, device)[1]}
    report["variety"] = variety_report(lambda c, count: in_random_styles(np.full(count, c)), heldout_set.images,
                                       heldout_set.labels, train_set.images, train_set.labels, train_set.classes,
                                       spaces, rng, s.variety_min_glyphs, s.variety_cap, s.knn_k)
    report["style"] = _training_style(setup, gen, train_set.writers[draw], train_set, s.style_set_size, rng, device)
    if generate_from_refs is not None:
        report["unseen_style"] = _unseen_style(generate_from_refs, heldout_set, setup.wclf, s, rng, device)
    return report


def _unseen_style(generate_from_refs: GenerateFromRefsFn, heldout_set: GlyphSet, wclf: GlyphClassifier,
                  s: EvalSettings, rng: np.random.Generator, device: torch.device) -> dict[str, Any]:
    """Writer retrieval among the split's writers, generated from refs and real, with the writer classifier's
    features (it knows only the training hands, so it has to generalise to these as the generator does)."""
    feats = classify(wclf, heldout_set.images, device)[1]
    ims, labels, writers = heldout_set.images, heldout_set.labels, heldout_set.writers

    def generated(refs: np.ndarray, probe: np.ndarray, probe_labels: np.ndarray) -> np.ndarray:
        return classify(wclf, generate_from_refs(ims[refs], labels[refs], probe_labels), device)[1]

    args = dict(trials=s.retrieval_trials, k_refs=s.retrieval_refs, probe=s.retrieval_refs)
    # the same trials (refs and probes) for both: each run starts from the same state of its own stream
    seed = int(rng.integers(2 ** 31))
    return {"generated": writer_retrieval(feats, writers, labels, generated, np.random.default_rng(seed), **args),
            "real_vs_real": writer_retrieval(feats, writers, labels, lambda r, p, pl: feats[p],
                                             np.random.default_rng(seed), **args)}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def sampler_generate_fn(sampler: GlyphSampler, classes: Sequence[str], seed: int) -> GenerateFn:
    """Generation by class index and writer number, one batch per writer."""
    if tuple(classes) != sampler.classes:
        raise GlyphSetError("the checkpoint was trained on other classes than this glyph set")
    gen = torch.Generator().manual_seed(seed)  # one stream over all calls: repeated calls draw new glyphs

    def generate(labels: np.ndarray, writers: np.ndarray) -> np.ndarray:
        out = np.empty((len(labels), sampler.image_size, sampler.image_size), np.float32)
        for w in np.unique(writers):
            m = writers == w
            out[m] = sampler.sample([classes[i] for i in labels[m]], writer=int(w), generator=gen)
        return out

    return generate


def sampler_refs_fn(sampler: GlyphSampler, classes: Sequence[str], seed: int) -> GenerateFromRefsFn:
    """Generation from reference glyphs of one (unseen) writer, whose classes are known."""
    gen = torch.Generator().manual_seed(seed + 1)

    def generate(ref_images: np.ndarray, ref_labels: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return sampler.sample([classes[i] for i in labels], style_images=ref_images,
                              style_classes=[classes[i] for i in ref_labels], generator=gen)

    return generate


SPLITS = ("val", "test")


def split_sets(glyphs: GlyphSet, val_writers: Sequence[int], split: str,
               eval_set: GlyphSet | None) -> tuple[GlyphSet, GlyphSet]:
    """(what the GAN trained on, the split's held-out glyphs) for a run with these validation writers."""
    is_val = np.isin(glyphs.writers, list(val_writers))
    train_set = glyphs.subset(~is_val)
    if split == "val":
        if not is_val.any():
            raise GlyphSetError("this checkpoint kept no validation writers out of training (config val_writers), "
                                "or the glyph set has none of them; measure it on --split test")
        return train_set, glyphs.subset(is_val)
    if split != "test":
        raise GlyphSetError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if eval_set is None:
        raise GlyphSetError("--split test needs the evaluation writers' glyph set (--eval-data)")
    return train_set, eval_set


def evaluate(checkpoint: str | os.PathLike, train_data_dir: str | os.PathLike,
             eval_data_dir: str | os.PathLike | None = None, device: str = "cpu",
             settings: EvalSettings = EvalSettings(), split: str = "test", precision: str = "fp32") -> dict[str, Any]:
    """Measure a checkpoint's EMA generator on a split (``val``: its validation writers, from ``train_data_dir``;
    ``test``: the evaluation writers in ``eval_data_dir``), sampling in ``precision``. Classifiers of real data are
    cached in ``train_data_dir``."""
    dev = resolve_device(device)
    glyphs = GlyphSet.load(train_data_dir)
    eval_set = GlyphSet.load(eval_data_dir) if eval_data_dir is not None and split == "test" else None
    ck = load_checkpoint(checkpoint)
    sampler = load_generator(checkpoint, dev, precision)
    val_writers = ck["config"].get("val_writers", [])
    train_set, heldout_set = split_sets(glyphs, val_writers, split, eval_set)
    if sampler.image_size != train_set.image_size:
        raise GlyphSetError(f"checkpoint makes {sampler.image_size} px glyphs, {train_data_dir} has "
                            f"{train_set.image_size} px")
    if set(train_set.writer_ids) != set(sampler.writers):
        raise GlyphSetError(f"{train_data_dir} (without the checkpoint's validation writers) has other writers "
                            "than the checkpoint was trained on")
    with torch.random.fork_rng(devices=[]):
        result = measure(sampler_generate_fn(sampler, train_set.classes, settings.seed), train_set, heldout_set,
                         train_data_dir, settings, dev, sampler_refs_fn(sampler, train_set.classes, settings.seed))
    result["style"]["code_spread"] = style_code_spread(sampler.writer_styles.float().cpu().numpy())
    return {"checkpoint": str(checkpoint), "split": split, "precision": sampler.precision,
            "train_data": str(train_data_dir),
            "eval_data": str(eval_data_dir) if eval_set is not None else None,
            "provenance": {**provenance(), "checkpoint_sha256": file_sha256(checkpoint),
                           "checkpoint_provenance": ck.get("provenance"),
                           "train_data_fingerprint": data_fingerprint(glyphs),
                           "heldout_data_fingerprint": data_fingerprint(heldout_set)},
            "settings": dataclasses.asdict(settings), **result}


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of an ``evaluate`` report, each with its real reference."""
    v = report["variety"]["summary"]
    out = {"split": report.get("split"), "gan_test": report["gan_test"]["overall"],
           "gan_test_real": report["gan_test"]["real_heldout_accuracy"]}
    if "gan_train" in report:
        out["gan_train_ratio"] = report["gan_train"]["ratio"]
    out.update({"fid": report["fid"]["generated"], "fid_real": report["fid"]["real_vs_real"],
                "kid": report["kid"]["generated"], "kid_real": report["kid"]["real_vs_real"]})
    for space in v:
        for cand in ("generated", "real_vs_real"):
            r = v[space][cand]
            tag = f"{space}_{'gen' if cand == 'generated' else 'real'}"
            out[f"recall_{tag}"] = r["median_recall"]
            out[f"precision_{tag}"] = r["median_precision"]
            out[f"diversity_{tag}"] = r["median_diversity"]
    st = report["style"]
    out["style_set"] = st["set_writer_accuracy_generated"]["accuracy"]
    out["style_set_real"] = st["set_writer_accuracy_real_heldout"]["accuracy"]
    if "unseen_style" in report:
        out["unseen_retrieval"] = report["unseen_style"]["generated"]["accuracy"]
        out["unseen_retrieval_real"] = report["unseen_style"]["real_vs_real"]["accuracy"]
        out["unseen_chance"] = report["unseen_style"]["generated"]["chance"]
    return out


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
