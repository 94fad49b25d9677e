"""Writer adaptation, measured: does fine-tuning a recogniser on staves in a writer's GAN hand read that writer better?

The few-shot protocol of GANwriting, on the gold writers. For each gold writer, ``crops`` glyphs are cut from one
of its pages whose staves are **not** scored (``reference_pages``; ``symbol_sources.page_crops``, seeded): the
stand-in for the ~16 symbols a user crops of the hand to read. For each seed, the ratio-0 recogniser of that seed
in ``base`` (a ``benchmark staves`` folder) is fine-tuned with ``experiments.adapt`` (what ``ganmash adapt``
runs):
- the control, once per seed: ``steps`` steps on ``staves`` plain Mashcima staves (ratio 0; no hand, so the same
  recogniser serves every writer);
- per writer and ``ratio``: the same steps on as many staves whose generated glyphs (that share of the draws) are
  in the hand of the writer's crops.
Each writer's adapted recognisers read only that writer's scored staves; the control reads all of them. Reported:
SER per writer of the base, the control and each ratio, the paired bootstrap 95 % CI of adapted − control per
writer, and of the mean over writers (seeds resampled together, staves within each writer). The crops are GAN
inputs only, never labels. Re-running the same command resumes: a recogniser whose file records the same making
is not retrained.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from experiments.adapt import AdaptConfig, adapt_recognizer
from experiments.results_folder import CONFIG, BenchmarkError, prepare_results_folder
from experiments.staff_benchmark import checkpoint_content, recognizer_name
from experiments.staff_scoring import evaluate_recognizer, paired_bootstrap
from experiments.staff_recognizer import load_recognizer
from gan import atomic_write_bytes, atomic_write_json, resolve_device

# Pages of the dev gold writers whose staves are not scored here: the crops come from them (fixed before any run,
# results/PREREGISTERED.md). dev.tsv holds writer 17's page 1 only; 13 and 20 have pages 2, 3 and 16.
DEV_REFERENCE_PAGES = {13: 16, 17: 7, 20: 16}


@dataclass(frozen=True)
class AdaptBenchConfig:
    base: str  # a `benchmark staves` results folder holding recognizer_ratio0.00_seed{s}.pt
    reference_pages: dict[int, int] = field(default_factory=lambda: dict(DEV_REFERENCE_PAGES))
    ratios: tuple[float, ...] = (0.5, 1.0)  # the adapted arms; the control is ratio 0
    seeds: tuple[int, ...] = (0, 1, 2)
    steps: int = 500
    staves: int = 500
    crops: int = 16
    crop_seed: int = 0
    annotations: str = ""
    checkpoint: str = ""  # the GAN; "" = the packaged one
    precision: str = "fp32"
    gold: str = ""
    bootstrap: int = 2000

    def __post_init__(self) -> None:
        if not self.ratios or any(not 0.0 < r <= 1.0 for r in self.ratios):
            raise BenchmarkError(f"adapted ratios must be in (0, 1] (ratio 0 is the control), got {list(self.ratios)}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise BenchmarkError(f"seeds must be distinct and at least one, got {list(self.seeds)}")
        if not self.reference_pages:
            raise BenchmarkError("no writer to adapt to (reference_pages is empty)")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reference_pages"] = {str(w): p for w, p in sorted(self.reference_pages.items())}
        d["ratios"], d["seeds"] = list(self.ratios), list(self.seeds)
        return d

    def adapt_config(self, seed: int, ratio: float, references: str) -> AdaptConfig:
        return AdaptConfig(model=str(Path(self.base) / recognizer_name(0.0, seed)), style_from=references,
                           steps=self.steps, staves=self.staves, ratio=ratio, seed=seed,
                           annotations=self.annotations, checkpoint=self.checkpoint, precision=self.precision)


def adapted_name(writer: int | None, ratio: float, seed: int) -> str:
    """The control (``writer`` None, ratio 0) is named like a benchmark's recogniser; an adapted one adds its writer."""
    return recognizer_name(ratio, seed) if writer is None else f"recognizer_w{writer:02d}_ratio{ratio:.2f}_seed{seed}.pt"


def _made_as(info: dict[str, Any], config: AdaptConfig) -> bool:
    """Whether a saved adapted recogniser's info says it was made by ``config`` (by content, as adapt records it)."""
    from symbol_sources.references import references_sha256

    generated = config.ratio > 0
    want = {"ratio": config.ratio, "steps": config.steps, "staves": config.staves, "seed": config.seed,
            "annotations_sha256": checkpoint_content(config.annotations) or None,
            "style_from_sha256": references_sha256(config.style_from) if generated else None,
            "precision": config.precision if generated else None}
    return (all(info.get(k) == v for k, v in want.items())
            and (info.get("adapted_from") or {}).get("sha256") == checkpoint_content(config.model))


def write_references(config: AdaptBenchConfig, muscima: Any, work: Path) -> dict[int, str]:
    """Each writer's crops in ``work/w<writer>`` (made again only when missing); the folder per writer."""
    from gan.files import replacing_folder
    from symbol_sources.page_crops import page_crops, write_crops

    folders = {}
    for writer, page in sorted(config.reference_pages.items()):
        folder = work / f"w{writer:02d}_p{page:02d}_k{config.crops}_seed{config.crop_seed}"
        if not (folder.is_dir() and len(list(folder.iterdir())) == config.crops):
            crops = page_crops(muscima, writer, page, config.crops, config.crop_seed)
            with replacing_folder(folder) as tmp:
                write_crops(crops, tmp)
        folders[writer] = str(folder)
    return folders


def _scored_gold(config: AdaptBenchConfig, gold: Sequence[Any]) -> dict[int, list[int]]:
    """Row indices of each adapted writer's scored staves: its gold rows not on its reference page."""
    rows: dict[int, list[int]] = {}
    for i, g in enumerate(gold):
        if g.writer in config.reference_pages and g.page != config.reference_pages[g.writer] and g.tokens:
            rows.setdefault(g.writer, []).append(i)
    missing = sorted(set(config.reference_pages) - set(rows))
    if missing:
        raise BenchmarkError(f"the gold file has no scored staves of writer(s) {missing} (off their reference page)")
    return rows


def _check_inputs(config: AdaptBenchConfig) -> None:
    for seed in config.seeds:
        base = Path(config.base) / recognizer_name(0.0, seed)
        if not base.is_file():
            raise BenchmarkError(f"{base} does not exist: --base must be a `benchmark staves` folder with ratio 0 "
                                 f"recognisers of seeds {list(config.seeds)}")
    for path, what in ((config.annotations, "annotation file"), (config.checkpoint, "checkpoint")):
        if path and not Path(path).is_file():
            raise BenchmarkError(f"{what} {path} does not exist")


def _ser_rows(recognizer: Any, gold: Sequence[Any], images: Sequence[np.ndarray], rows: Sequence[int]) -> list[float]:
    scored = evaluate_recognizer(recognizer, [gold[i] for i in rows], [images[i] for i in rows])
    return [st["ser"] for st in scored["staves"]]


def writer_mean_bootstrap(differences: dict[int, np.ndarray], resamples: int,
                          rng: np.random.Generator) -> dict[str, Any]:
    """Mean over writers of each writer's mean paired difference ((seeds, staves) arrays with the same seeds),
    and its 95 % interval: seeds resampled together for all writers, staves within each writer."""
    arrays = list(differences.values())
    k = arrays[0].shape[0]
    means = np.empty(resamples)
    for b in range(resamples):
        seeds = rng.integers(k, size=k)
        means[b] = np.mean([a[seeds][:, rng.integers(a.shape[1], size=a.shape[1])].mean() for a in arrays])
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": round(float(np.mean([a.mean() for a in arrays])), 4), "ci95": [round(float(lo), 4),
            round(float(hi), 4)], "seeds": k, "writers": len(arrays), "resamples": resamples}


def summarise(config: AdaptBenchConfig, ser: dict[tuple, list[float]]) -> dict[str, Any]:
    """``ser[(arm, writer, seed)]``: that recogniser's SER per scored staff of the writer; arm is "base",
    "control" or a ratio."""
    rng = np.random.default_rng(0)
    writers = sorted(config.reference_pages)
    mean = lambda arm, w: round(float(np.mean([ser[arm, w, s] for s in config.seeds])), 4)  # noqa: E731
    table: dict[str, Any] = {"ser_per_writer": {str(w): {"base": mean("base", w), "control": mean("control", w),
                                                          **{f"{r:.2f}": mean(r, w) for r in config.ratios}}
                                                for w in writers}}
    for r in config.ratios:
        diffs = {w: np.array([np.subtract(ser[r, w, s], ser["control", w, s]) for s in config.seeds])
                 for w in writers}
        table[f"ratio_{r:.2f}_minus_control"] = {
            "per_writer": {str(w): paired_bootstrap(d, config.bootstrap, rng) for w, d in diffs.items()},
            "mean_over_writers": writer_mean_bootstrap(diffs, config.bootstrap, rng)}
    control_gain = {w: np.array([np.subtract(ser["control", w, s], ser["base", w, s]) for s in config.seeds])
                    for w in writers}
    table["control_minus_base"] = writer_mean_bootstrap(control_gain, config.bootstrap, rng)
    return table


def _adapted(config: AdaptConfig, path: Path, muscima_pp: str | os.PathLike, device: str,
             real: Callable[[], Any], progress: bool, log: Callable[[str], None]) -> Any:
    """The recogniser ``config`` makes, from ``path`` when it holds one made so, else fine-tuned now (``real``
    gives Mashcima's repository of real symbols: a minute to build cold, so only when something is rendered)."""
    if path.is_file():
        loaded = load_recognizer(path, resolve_device(device))
        if _made_as(loaded.info, config):
            log(f"{path.name}: reusing")
            return loaded
    log(f"{path.name}: fine-tuning")
    adapt_recognizer(config, path, muscima_pp, device=device, progress=progress, log=log, real_repository=real())
    return load_recognizer(path, resolve_device(device))


def run_adapt_benchmark(config: AdaptBenchConfig, out: str | os.PathLike, work: str | os.PathLike,
                        muscima_pp: str | os.PathLike, device: str = "auto", overwrite: bool = False,
                        progress: bool = True, log: Callable[[str], None] = print,
                        real_repository: Any = None) -> dict[str, Any]:
    """Make the crops, fine-tune and score every arm (module docstring); results.json/.md in ``out``."""
    from gan.provenance import provenance
    from symbol_sources import load_muscima_pp
    from symbol_sources.mashcima_repository import build_mashcima_repository
    from symbol_sources.pretrained import default_checkpoint
    from symbol_sources.real_staves import load_gold_staves
    from symbol_sources.references import references_sha256

    out, work = Path(out), Path(work)
    _check_inputs(config)
    muscima = load_muscima_pp(muscima_pp)
    gold, images = load_gold_staves(config.gold, muscima)
    rows = _scored_gold(config, gold)
    prepare_results_folder(out, config.to_dict(), overwrite, resumable_fields=("seeds", "bootstrap"),
                           is_output=lambda name: name.startswith("recognizer_")
                           or name in (CONFIG, "results.json", "results.md"))
    references = write_references(config, muscima, work)
    dev = resolve_device(device)
    real = [real_repository]

    def real_symbols() -> Any:
        if real[0] is None:
            real[0] = build_mashcima_repository(muscima_pp)
        return real[0]

    ser: dict[tuple, list[float]] = {}
    seconds: dict[str, float] = {}
    for seed in config.seeds:
        base = load_recognizer(Path(config.base) / recognizer_name(0.0, seed), dev)
        arms: list[tuple[Any, int | None, float]] = [("control", None, 0.0)]
        arms += [(r, w, r) for w in sorted(rows) for r in config.ratios]
        for w in rows:
            ser["base", w, seed] = _ser_rows(base, gold, images, rows[w])
        for arm, writer, ratio in arms:
            adapt = config.adapt_config(seed, ratio, references[writer] if writer is not None else "")
            name = adapted_name(writer, ratio, seed)
            recognizer = _adapted(adapt, out / name, muscima_pp, device, real_symbols, progress, log)
            seconds[name] = recognizer.info.get("train_seconds")
            readers_of = [writer] if writer is not None else sorted(rows)  # the control reads every writer
            for w in readers_of:
                ser[arm, w, seed] = _ser_rows(recognizer, gold, images, rows[w])
            log(f"{name}: SER " + ", ".join(f"w{w} {np.mean(ser[arm, w, seed]):.3f}" for w in readers_of))
    checkpoint = config.checkpoint or str(default_checkpoint())
    results = {"config": config.to_dict(), "device": str(dev),
               "provenance": {**provenance(), "checkpoint_sha256": checkpoint_content(checkpoint),
                              "annotations_sha256": checkpoint_content(config.annotations) or None,
                              "base_sha256": {str(s): checkpoint_content(str(Path(config.base) / recognizer_name(0.0, s)))
                                              for s in config.seeds}},
               "references": {str(w): {"page": config.reference_pages[w], "sha256": references_sha256(f),
                                       "classes": sorted(p.name.rsplit("_", 1)[0] for p in Path(f).iterdir())}
                              for w, f in references.items()},
               "scored_staves": {str(w): [f"p{gold[i].page:02d}_s{gold[i].staff:02d}" for i in r]
                                 for w, r in sorted(rows.items())},
               "train_seconds": seconds,
               "ser": {f"{arm}|{w}|{s}": v for (arm, w, s), v in ser.items()},
               **summarise(config, ser)}
    atomic_write_json(out / "results.json", results)
    atomic_write_bytes(out / "results.md", markdown(results).encode())
    return results


def markdown(results: dict[str, Any]) -> str:
    c = results["config"]
    ratios = [f"{r:.2f}" for r in c["ratios"]]
    lines = [f"# Writer adaptation ({len(c['seeds'])} seeds, {c['steps']} steps on {c['staves']} staves)", "",
             f"Base: the ratio-0 recognisers of `{c['base']}`. References: {c['crops']} crops per writer from its "
             "unscored page " + ", ".join(f"w{w}: p{p}" for w, p in c["reference_pages"].items()) + ". Control: the "
             "same fine-tuning on plain staves (ratio 0).", "",
             "| writer | staves | base | control | " + " | ".join(f"ratio {r}" for r in ratios) + " | "
             + " | ".join(f"ratio {r} − control (95 % CI)" for r in ratios) + " |",
             "|---:|---:|---:|---:|" + "---:|" * (2 * len(ratios))]
    for w, row in results["ser_per_writer"].items():
        diffs = [results[f"ratio_{r}_minus_control"]["per_writer"][w] for r in ratios]
        lines.append(f"| {w} | {len(results['scored_staves'][w])} | {row['base']:.3f} | {row['control']:.3f} | "
                     + " | ".join(f"{row[r]:.3f}" for r in ratios) + " | "
                     + " | ".join(f"{d['mean']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" for d in diffs) + " |")
    for r in ratios:
        m = results[f"ratio_{r}_minus_control"]["mean_over_writers"]
        lines.append(f"\nMean over writers, ratio {r} − control: {m['mean']:+.3f} [{m['ci95'][0]:+.3f}, "
                     f"{m['ci95'][1]:+.3f}]")
    cb = results["control_minus_base"]
    lines.append(f"\nControl − base (fine-tuning on plain staves alone): {cb['mean']:+.3f} "
                 f"[{cb['ci95'][0]:+.3f}, {cb['ci95'][1]:+.3f}]\n")
    return "\n".join(lines)
