"""``ganmash benchmark symbols``: do GAN glyphs help a glyph classifier read real glyphs of unseen writers? (issue #6)

A small VGG-style classifier (``gan.GlyphClassifier``, in the spirit of MusicSymbolClassifier) is trained, with the
same steps, batch, initialisation and batch-drawing seed, on

  real       the real training glyphs of the regime
  gan        GAN glyphs only: as many as the real ones (capped), with the real set's (class, writer) mix
  real+gan   both, each batch drawn with ``mix_fraction`` GAN glyphs on average (per-glyph sampling weights)

and tested on the real glyphs of the held-out evaluation writers (13, 17, 20, 34, 41, 49). Two regimes:

  full       GAN and classifier trained on the GAN's training writers (the GAN is a given checkpoint; writers it
             kept out for validation are left out of the real set too)
  low-data   both trained on ``low_data_writers`` only; the GAN is trained here, into RUN/low-data-gan/

Each (regime, source, seed) is one line of RUN/metrics.jsonl; a re-run with the same settings skips the lines
already there, and results.json / results.md / accuracy.png / confusion.png are always rebuilt from that file.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from experiments.seed_stats import mean_std
from experiments.results_folder import CONFIG, METRICS, BenchmarkError, prepare_results_folder
from gan import PRESETS as GAN_PRESETS
from gan.provenance import file_sha256, provenance
from gan.plotting import agg_pyplot
from gan import (EvalSettings, GenerateFn, GivenReplace, GlyphSampler, GlyphSet, GlyphSetError, accuracy_report,
                 append_jsonl, atomic_write, atomic_write_bytes, atomic_write_json, classify, load_generator,
                 resolve_device, sampler_generate_fn, train, train_classifier)
from symbol_sources import EVALUATION_WRITERS

LOW_DATA_GLYPHS = "low-data-glyphs"
LOW_DATA_GAN = "low-data-gan"
OUTPUTS = (CONFIG, METRICS, "results.json", "results.md", "accuracy.png", "confusion.png", LOW_DATA_GLYPHS,
           LOW_DATA_GAN)
REGIMES = ("full", "low-data")
SOURCES = ("real", "gan", "real+gan")
SOURCE_LABELS = {"real": "real", "gan": "GAN only", "real+gan": "real + GAN"}


@dataclass(frozen=True)
class SymbolBenchConfig(GivenReplace):
    preset: str = "cpu"
    seeds: tuple[int, ...] = (0, 1, 2)
    classifier_steps: int = 1000
    classifier_batch: int = 64
    # Glyphs are area-downscaled to this side for the classifier: at 32 px a step costs a quarter of 64 px, which
    # is what lets 18 trainings fit the cpu budget. Real and GAN glyphs go through the same resize.
    classifier_size: int = 32
    mix_fraction: float = 0.5  # real+gan: expected share of GAN glyphs in a batch
    max_generated: int = 6000  # GAN glyphs per regime: as many as the regime's real glyphs, at most this
    generation_seed: int = 0  # which (class, writer) draws and noises; one generated set per regime for all seeds
    # Writers 1, 2, 3: the first three training writers, and between them they have every class the evaluation
    # writers have (26 of 29); the three writers with most glyphs (35, 44, 16) miss five of those classes, which
    # would score 0 whatever the GAN does.
    low_data_writers: tuple[int, ...] = (1, 2, 3)
    gan_preset: str = "cpu"  # ganmash train preset of the low-data GAN
    gan_epochs: int = 4
    checkpoint: str = ""  # the full regime's GAN
    low_data_checkpoint: str = ""  # "" = train the low-data GAN into RUN/low-data-gan
    train_data: str = ""
    eval_data: str = ""

    def __post_init__(self) -> None:
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise BenchmarkError(f"seeds must be distinct and at least one, got {list(self.seeds)}")
        for name in ("classifier_steps", "classifier_batch", "max_generated", "gan_epochs"):
            if getattr(self, name) < 1:
                raise BenchmarkError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.classifier_size < 8:
            raise BenchmarkError(f"classifier_size must be >= 8, got {self.classifier_size}")
        if not 0.0 < self.mix_fraction < 1.0:
            raise BenchmarkError(f"mix_fraction must be in (0, 1), got {self.mix_fraction}")
        if not self.low_data_writers:
            raise BenchmarkError("low_data_writers is empty")
        if self.gan_preset not in GAN_PRESETS:
            raise BenchmarkError(f"unknown GAN preset {self.gan_preset!r}; presets: {', '.join(GAN_PRESETS)}")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {**d, "seeds": list(self.seeds), "low_data_writers": list(self.low_data_writers)}

    def eval_settings(self) -> EvalSettings:
        return EvalSettings(classifier_steps=self.classifier_steps, classifier_batch=self.classifier_batch)


PRESETS: dict[str, SymbolBenchConfig] = {
    # seconds: for tests
    "smoke": SymbolBenchConfig(preset="smoke", seeds=(0, 1), classifier_steps=20, classifier_batch=16,
                               classifier_size=16, max_generated=96, gan_preset="cpu-smoke", gan_epochs=1),
    # 23 min measured on 2 CPU cores shared with other jobs, 1 torch thread: 18 classifiers of 1000 steps at
    # 32 px (~30 s each), the low-data GAN (4 cpu-preset epochs, ~3.2 min each), ~10k generated glyphs (~2 min).
    # With 2 GAN epochs the run took 18 min and its GAN-only low-data classifier scored 6 points lower.
    "cpu": SymbolBenchConfig(preset="cpu"),
    # one GPU (unmeasured): full-size glyphs, 6x the classifier steps, GAN glyphs as many as real ones, and a
    # low-data GAN of the gpu preset's networks (10 of its epochs: ~150 passes over the 3 writers' glyphs)
    "gpu": SymbolBenchConfig(preset="gpu", classifier_steps=6000, classifier_batch=128, classifier_size=64,
                             max_generated=60000, gan_preset="gpu", gan_epochs=10),
}


# -- glyphs for the classifier -----------------------------------------------------------------------------------
def to_classifier_input(images: np.ndarray, size: int, chunk: int = 4096) -> np.ndarray:
    """(N, S, S) uint8 255 = ink or float 1 = ink -> (N, size, size) uint8 255 = ink, area-resized."""
    out = np.empty((len(images), size, size), np.uint8)
    for i in range(0, len(images), chunk):
        t = torch.from_numpy(np.ascontiguousarray(images[i:i + chunk]))
        t = t.float() if t.dtype == torch.uint8 else t.float() * 255
        if t.shape[-1] != size:
            t = F.interpolate(t[:, None], size=(size, size), mode="area")[:, 0]
        out[i:i + chunk] = t.round().clamp(0, 255).to(torch.uint8).numpy()
    return out


@dataclass(frozen=True)
class RegimeData:
    """What the classifiers of one regime learn from, at classifier size."""
    real_images: np.ndarray  # (N, s, s) uint8
    real_labels: np.ndarray  # (N,)
    gan_images: np.ndarray | None  # (M, s, s) uint8; None when no cell needs them
    gan_labels: np.ndarray | None  # (M,)


def generated_like(real: GlyphSet, generate: GenerateFn, n_max: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """min(n_max, N) GAN glyphs with the (class, writer) of as many real glyphs drawn without replacement."""
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(real.images), size=min(n_max, len(real.images)), replace=False))
    labels, writers = real.labels[pick], real.writers[pick]
    images = np.asarray(generate(labels, writers), np.float32)
    if images.shape != (len(pick), real.image_size, real.image_size):
        raise ValueError(f"generate returned {images.shape}, expected {(len(pick), real.image_size, real.image_size)}")
    return images, labels.astype(np.int64)


def confusion_matrix(pred: np.ndarray, truth: np.ndarray, n: int) -> np.ndarray:
    """(n, n) counts: row = true class, column = predicted class."""
    return np.bincount(truth.astype(np.int64) * n + pred.astype(np.int64), minlength=n * n).reshape(n, n)


def run_cell(data: RegimeData, source: str, seed: int, eval_images: np.ndarray, eval_labels: np.ndarray,
             classes: Sequence[str], config: SymbolBenchConfig, device: torch.device) -> dict[str, Any]:
    """Train one classifier on ``source`` and test it on the evaluation glyphs."""
    t0 = time.perf_counter()
    weights = None
    if source == "real":
        images, labels = data.real_images, data.real_labels
    elif source == "gan":
        images, labels = data.gan_images, data.gan_labels
    elif source == "real+gan":
        images = np.concatenate([data.real_images, data.gan_images])
        labels = np.concatenate([data.real_labels, data.gan_labels])
        n_r, n_g, f = len(data.real_images), len(data.gan_images), config.mix_fraction
        # per-glyph sampling weights: a batch is f GAN glyphs on average, whatever the two sets' sizes
        weights = np.concatenate([np.full(n_r, (1 - f) / n_r), np.full(n_g, f / n_g)])
    else:
        raise ValueError(f"unknown source {source!r}")
    if images is None:
        raise ValueError(f"source {source!r} needs generated glyphs")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout draws from the global generator: else a cell depends on the ones before
        clf = train_classifier(images, labels, len(classes), config.eval_settings(), device, seed=seed,
                               weights=weights)
    pred, _ = classify(clf, eval_images, device)
    report = accuracy_report(pred, eval_labels, classes)
    return {"source": source, "seed": seed, "overall": report["overall"],
            "mean_per_class": report["mean_per_class"], "per_class": report["per_class"],
            "confusion": confusion_matrix(pred, eval_labels, len(classes)).tolist(),
            "n_real": len(data.real_images) if source != "gan" else 0,
            "n_gan": len(data.gan_images) if source != "real" else 0,
            "seconds": round(time.perf_counter() - t0, 1), "device": str(device)}


# -- checks before any work ---------------------------------------------------------------------------------------
def _check_data(train_set: GlyphSet, eval_set: GlyphSet, config: SymbolBenchConfig) -> None:
    if tuple(eval_set.classes) != tuple(train_set.classes):
        raise GlyphSetError(f"{config.eval_data} has other classes than {config.train_data}")
    if eval_set.image_size != train_set.image_size:
        raise GlyphSetError(f"{config.train_data} has {train_set.image_size} px glyphs, {config.eval_data} "
                            f"{eval_set.image_size} px")
    leaked = sorted(set(train_set.writer_ids) & set(EVALUATION_WRITERS))
    if leaked:
        raise BenchmarkError(f"{config.train_data} holds evaluation writer(s) {', '.join(map(str, leaked))}; "
                                   "they must never train anything")
    shared = sorted(set(train_set.writer_ids) & set(eval_set.writer_ids))
    if shared:
        raise BenchmarkError(f"writer(s) {', '.join(map(str, shared))} are in both the training and the "
                                   "evaluation glyph set")
    missing = sorted(set(config.low_data_writers) - set(train_set.writer_ids))
    if missing:
        raise BenchmarkError(f"low-data writer(s) {', '.join(map(str, missing))} are not in "
                                   f"{config.train_data} (it has {', '.join(map(str, train_set.writer_ids))})")


def _check_sampler(sampler: GlyphSampler, path: str, train_set: GlyphSet, writers: Sequence[int],
                   exact_writers: bool) -> None:
    if sampler.image_size != train_set.image_size:
        raise BenchmarkError(f"{path} makes {sampler.image_size} px glyphs, the training glyphs are "
                                   f"{train_set.image_size} px")
    if tuple(sampler.classes) != tuple(train_set.classes):
        raise BenchmarkError(f"{path} was trained on other classes than the training glyph set")
    if exact_writers and set(sampler.writers) != set(writers):
        raise BenchmarkError(f"{path} was trained on writers {', '.join(map(str, sampler.writers))}; the "
                                   f"low-data regime uses {', '.join(map(str, writers))}")
    lacking = sorted(set(writers) - set(sampler.writers))
    if lacking:
        raise BenchmarkError(f"{path} was not trained on writer(s) {', '.join(map(str, lacking))} of the "
                                   "training glyph set")


# -- the run folder -----------------------------------------------------------------------------------------------
def read_metrics(out: str | os.PathLike) -> list[dict[str, Any]]:
    path = Path(out) / METRICS
    if not path.is_file():
        return []
    # a line cut by a crash mid-write is not a result: skip it (its cell is run again)
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _low_data_sampler(config: SymbolBenchConfig, out: Path, device: torch.device, progress: bool,
                      log: Callable[[str], None]) -> GlyphSampler:
    if config.low_data_checkpoint:
        return load_generator(config.low_data_checkpoint, device)
    run = out / LOW_DATA_GAN
    latest = run / "latest.pt"
    resume = latest.is_file()
    if resume:
        epoch = int(torch.load(latest, map_location="cpu", weights_only=True).get("epoch", 0))
        if epoch >= config.gan_epochs:
            return load_generator(latest, device)
    gan_config = GAN_PRESETS[config.gan_preset].replace(epochs=config.gan_epochs)
    log(f"training the low-data GAN ({config.gan_preset} preset, {config.gan_epochs} epochs, writers "
        f"{', '.join(map(str, config.low_data_writers))}) into {run}")
    # without a latest.pt the folder holds at most a start that never finished an epoch: ours to replace
    metrics = train(gan_config, out / LOW_DATA_GLYPHS, run, device=str(device), resume=resume,
                    overwrite=not resume, progress=progress, log=log)
    if metrics.get("interrupted"):
        raise KeyboardInterrupt
    return load_generator(latest, device)


def _gan_content(config: SymbolBenchConfig) -> dict[str, str]:
    return {"full": file_sha256(config.checkpoint),
            "low_data": file_sha256(config.low_data_checkpoint) if config.low_data_checkpoint else "trained here"}


def run_symbol_benchmark(config: SymbolBenchConfig, out: str | os.PathLike, device: str = "auto",
                         overwrite: bool = False, progress: bool = True,
                         log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or finish) the benchmark in ``out``; returns results.json's content."""
    out, dev = Path(out), resolve_device(device)
    if not config.checkpoint:
        raise BenchmarkError("no GAN checkpoint for the full regime")
    train_set, eval_set = GlyphSet.load(config.train_data), GlyphSet.load(config.eval_data)
    _check_data(train_set, eval_set, config)
    full_sampler = load_generator(config.checkpoint, dev)
    # The full regime is the GAN's training writers: a GAN that kept validation writers out of its training is
    # compared with real glyphs of the same writers, not of more.
    full_set = train_set.subset(np.isin(train_set.writers, full_sampler.writers))
    if not len(full_set.images):
        raise BenchmarkError(f"{config.checkpoint} was trained on none of the writers of {config.train_data}")
    _check_sampler(full_sampler, config.checkpoint, full_set, full_set.writer_ids, exact_writers=False)
    if config.low_data_checkpoint:
        _check_sampler(load_generator(config.low_data_checkpoint, "cpu"), config.low_data_checkpoint, train_set,
                       config.low_data_writers, exact_writers=True)
    # seeds do not decide any cell's result: more seeds extend a finished run. The GANs count by content: a new
    # GAN written to the same path is another run, never a silent reuse of cells measured with the old one.
    prepare_results_folder(out, {**config.to_dict(), "gan_sha256": _gan_content(config)}, overwrite,
                           is_output=lambda name: name in OUTPUTS, resumable_fields=("seeds",))

    classes = train_set.classes
    eval_images = to_classifier_input(eval_set.images, config.classifier_size)
    done = {(r["regime"], r["source"], r["seed"]) for r in read_metrics(out)}
    for regime in REGIMES:
        todo = [(s, seed) for seed in config.seeds for s in SOURCES if (regime, s, seed) not in done]
        if not todo:
            continue
        real = full_set if regime == "full" else train_set.subset(np.isin(train_set.writers, config.low_data_writers))
        gan_images = gan_labels = None
        if any(s != "real" for s, _ in todo):
            if regime == "low-data" and not (out / LOW_DATA_GLYPHS / "manifest.json").is_file():
                real.save(out / LOW_DATA_GLYPHS)  # what the low-data GAN trains on, kept for the record
            sampler = full_sampler if regime == "full" else _low_data_sampler(config, out, dev, progress, log)
            log(f"{regime}: generating {min(config.max_generated, len(real.images))} glyphs")
            gen, gan_labels = generated_like(real, sampler_generate_fn(sampler, classes, config.generation_seed),
                                             config.max_generated, config.generation_seed)
            gan_images = to_classifier_input(gen, config.classifier_size)
        data = RegimeData(to_classifier_input(real.images, config.classifier_size), real.labels.astype(np.int64),
                          gan_images, gan_labels)
        bar = tqdm(todo, desc=regime, unit="classifier", disable=not progress, dynamic_ncols=True)
        for source, seed in bar:
            bar.set_postfix(source=source, seed=seed)
            record = {"regime": regime, **run_cell(data, source, seed, eval_images, eval_set.labels, classes, config,
                                                   dev)}
            append_jsonl(out / METRICS, record)
            line = (f"{regime} / {SOURCE_LABELS[source]} / seed {seed}: accuracy {100 * record['overall']:.1f} %, "
                    f"mean per class {100 * record['mean_per_class']:.1f} % ({record['seconds']:.0f} s)")
            if progress:
                bar.write(line)  # a bare print would tear the progress bar
            else:
                log(line)
        bar.close()
    return write_results(out, config, classes, eval_set, len(full_set.images),
                         int(np.isin(train_set.writers, config.low_data_writers).sum()))


# -- results ------------------------------------------------------------------------------------------------------
def summarise(records: Sequence[dict[str, Any]], config: SymbolBenchConfig, classes: Sequence[str]) -> dict[str, Any]:
    """Mean ± std over the config's seeds per regime and source, per-class means, summed confusion matrices."""
    regimes: dict[str, Any] = {}
    for regime in REGIMES:
        sources: dict[str, Any] = {}
        for source in SOURCES:
            rows = {r["seed"]: r for r in records if r["regime"] == regime and r["source"] == source
                    and r["seed"] in config.seeds}  # the last line of a seed wins
            rows = [rows[s] for s in sorted(rows)]
            if not rows:
                continue
            per_class = {c: mean_std([r["per_class"][c] for r in rows])["mean"] for c in classes}
            sources[source] = {
                "seeds": [r["seed"] for r in rows],
                "overall": mean_std([r["overall"] for r in rows]),
                "mean_per_class": mean_std([r["mean_per_class"] for r in rows]),
                "per_class": per_class,
                "confusion": np.sum([r["confusion"] for r in rows], 0).tolist(),
                "n_real": rows[0]["n_real"], "n_gan": rows[0]["n_gan"],
                "seconds": round(sum(r["seconds"] for r in rows), 1)}
        real = sources.get("real")
        for s in sources.values():  # the real-trained classifier is the baseline of its regime
            s["overall_minus_real"] = (round(s["overall"]["mean"] - real["overall"]["mean"], 4)
                                       if real and s["overall"]["mean"] is not None else None)
        regimes[regime] = sources
    return {"regimes": regimes}


def write_results(out: Path, config: SymbolBenchConfig, classes: Sequence[str], eval_set: GlyphSet,
                  n_train_full: int, n_train_low: int) -> dict[str, Any]:
    summary = summarise(read_metrics(out), config, classes)
    results = {"config": config.to_dict(), "provenance": {**provenance(), "gan_sha256": _gan_content(config)},
               "classes": list(classes),
               "eval_writers": eval_set.writer_ids, "n_eval": int(len(eval_set.images)),
               "eval_class_counts": eval_set.class_counts(),
               "n_train_real": {"full": n_train_full, "low-data": n_train_low},
               "low_data_writers": list(config.low_data_writers), **summary}
    atomic_write_json(out / "results.json", results)
    atomic_write_bytes(out / "results.md", results_markdown(results).encode())
    plot_accuracy(results, out / "accuracy.png")
    plot_confusion(results, out / "confusion.png")
    return results


def _pm(ms: dict[str, float | None]) -> str:
    return "–" if ms["mean"] is None else f"{100 * ms['mean']:.1f} ± {100 * ms['std']:.1f} %"


def results_markdown(results: dict[str, Any]) -> str:
    c = results["config"]
    regime_name = {"full": "full (the GAN's training writers)",
                   "low-data": f"low-data (writers {', '.join(map(str, results['low_data_writers']))})"}
    lines = [f"Glyph classifier on {results['n_eval']} real glyphs of evaluation writers "
             f"{', '.join(map(str, results['eval_writers']))}; mean ± std over seeds {c['seeds']}, "
             f"{c['classifier_steps']} steps of {c['classifier_batch']} at {c['classifier_size']} px each.", ""]
    for key, title in (("overall", "accuracy"), ("mean_per_class", "mean per-class accuracy")):
        lines += [f"| regime ({title}) | real glyphs | GAN glyphs | trained on real | GAN only | real + GAN |",
                  "|---|---|---|---|---|---|"]
        for regime, sources in results["regimes"].items():
            n_gan = next((s["n_gan"] for s in sources.values() if s["n_gan"]), 0)
            cells = [_pm(sources[s][key]) if s in sources else "–" for s in SOURCES]
            lines.append(f"| {regime_name[regime]} | {results['n_train_real'][regime]} | {n_gan} | "
                         + " | ".join(cells) + " |")
        lines.append("")
    lines += [f"real + GAN: each batch is {100 * c['mix_fraction']:.0f} % GAN glyphs on average. "
              f"Per class (mean over seeds; evaluation glyphs in brackets):", ""]
    cols = [(r, s) for r in results["regimes"] for s in SOURCES if s in results["regimes"][r]]
    lines += ["| class | " + " | ".join(f"{r}: {SOURCE_LABELS[s]}" for r, s in cols) + " |",
              "|---|" + "---|" * len(cols)]
    for name in results["classes"]:
        vals = [results["regimes"][r][s]["per_class"][name] for r, s in cols]
        lines.append(f"| {name} ({results['eval_class_counts'][name]}) | "
                     + " | ".join("–" if v is None else f"{100 * v:.0f}" for v in vals) + " |")
    return "\n".join(lines) + "\n"


def _save_figure(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda f: fig.savefig(f, format="png"))
    plt.close(fig)


def plot_accuracy(results: dict[str, Any], path: Path) -> None:
    """Grouped bars per regime (one bar per source), std over seeds as error bars."""
    plt = agg_pyplot()

    regimes = list(results["regimes"])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), dpi=120)
    width = 0.8 / len(SOURCES)
    for ax, (key, title) in zip(axes, (("overall", "accuracy"), ("mean_per_class", "mean per-class accuracy"))):
        for j, source in enumerate(SOURCES):
            ms = [results["regimes"][r].get(source, {}).get(key, {"mean": None, "std": None}) for r in regimes]
            x = np.arange(len(regimes)) + (j - (len(SOURCES) - 1) / 2) * width
            means = [100 * m["mean"] if m["mean"] is not None else np.nan for m in ms]
            stds = [100 * m["std"] if m["std"] is not None else 0 for m in ms]
            bars = ax.bar(x, means, width, yerr=stds, capsize=3, label=SOURCE_LABELS[source])
            ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
        ax.set_xticks(np.arange(len(regimes)), regimes)
        ax.set_ylim(0, 105)
        ax.set_ylabel(f"{title} (%)")
        ax.set_title(title, fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(SOURCES), fontsize=8, title="classifier trained on",
               title_fontsize=8)
    fig.suptitle(f"glyph classifier on evaluation writers {', '.join(map(str, results['eval_writers']))} "
                 f"(mean ± std, seeds {results['config']['seeds']})", fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    _save_figure(fig, path)


def plot_confusion(results: dict[str, Any], path: Path) -> None:
    """Row-normalised confusion matrices (summed over seeds): a row per regime, a column per source."""
    plt = agg_pyplot()

    names, regimes = results["classes"], list(results["regimes"])
    n = len(names)
    side = max(3.0, 0.17 * n + 1.5)
    fig, axes = plt.subplots(len(regimes), len(SOURCES), figsize=(side * len(SOURCES), side * len(regimes)),
                             dpi=100, squeeze=False)
    for i, regime in enumerate(regimes):
        for j, source in enumerate(SOURCES):
            ax = axes[i, j]
            cell = results["regimes"][regime].get(source)
            if cell is None:
                ax.axis("off")
                continue
            m = np.asarray(cell["confusion"], np.float64)
            rows = m.sum(1, keepdims=True)
            # classes the evaluation writers never drew have no row: left blank rather than shown as all-wrong
            norm = np.divide(m, rows, out=np.full_like(m, np.nan), where=rows > 0)
            ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
            ax.set_xticks(range(n), names, rotation=90, fontsize=6)
            ax.set_yticks(range(n), names, fontsize=6)
            ax.set_xlabel("predicted", fontsize=7)
            ax.set_ylabel("true", fontsize=7)
            ax.set_title(f"{regime}: trained on {SOURCE_LABELS[source]} ({_pm(cell['overall'])})", fontsize=8)
    fig.tight_layout()
    _save_figure(fig, path)
