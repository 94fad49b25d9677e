"""``ganmash benchmark staves``: does mixing GAN glyphs into Mashcima's staves help a recogniser read real staves?

For each ratio (share of glyph draws the GAN makes), Mashcima renders the *same* staves once (same annotations,
same seeds; real symbols only from training writers); a CRNN + CTC recogniser is trained on them once per
recogniser seed, with the same steps, and reads real CVC-MUSCIMA staves of evaluation writers, scored against
gold transcriptions by symbol error rate (SER): token-level Levenshtein distance / gold token count, per staff,
averaged over staves. Blank gold staves have no SER; they are skipped and counted.

Annotations come from a file (``annotations``, e.g. real music from ``ganmash annotations from-corpus``) or are
Mashcima's random ones; how the GAN's glyphs are drawn (``bank_size``, None for fresh glyphs; ``real_classes``;
the hand: ``style``, ``novel_scale``, ``style_from``; ``precision``) is part of the config.
Statistics: per ratio the mean and std of SER over seeds, SER per gold writer, and a paired bootstrap 95 % CI of
the SER difference from the first ratio (same seeds, same gold staves, both resampled). The SER is of greedy
decoding; every recogniser is also scored with CTC prefix beam search (``beam_width``), reported beside it.

Layout: ``--work`` holds the rendered staves (large, not for committing): ``ratio_0.50-<GAN>-<annotations>/``...;
``--out`` holds what is committed: config.json, metrics.jsonl, results.json, results.md, ser.png and
``recognizer_ratio0.50_seed0.pt`` per ratio and seed. Every stage is resumable: rendered staves are resumed by
``synthesize_staves``, a recogniser whose file matches the config (GAN and annotations by content) is reused,
also from other results folders named in ``reuse_from`` (ratio 0 does not depend on any GAN setting).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from rapidfuzz.distance import Levenshtein

from experiments.staff_recognizer import (LoadedRecognizer, RecognizerError, RecognizerSettings, RecognizerTraining,
                                          TokenCodec, load_recognizer, mashcima_vocabulary, normalise_staff,
                                          save_recognizer, train_recognizer)
from experiments.seed_stats import mean_std
from experiments.results_folder import CONFIG, METRICS, BenchmarkError, prepare_results_folder
from gan import (GivenReplace, append_jsonl, atomic_write, atomic_write_bytes, atomic_write_json, complete_jsonl,
                 resolve_device)
from gan.plotting import agg_pyplot
from symbol_sources.glyph_draws import DEFAULT_BANK_SIZE
from symbol_sources.locate import EVALUATION_WRITERS
from symbol_sources.mashcima_provider import check_real_classes
from symbol_sources.staves import check_glyph_draws
from symbol_sources.real_staves import GoldStaff



@dataclass(frozen=True)
class StaffBenchConfig(GivenReplace):
    preset: str = "cpu"
    ratios: tuple[float, ...] = (0.0, 0.5, 1.0)
    staves: int = 1000  # rendered per ratio
    staff_seed: int = 0  # job seed of the rendered staves: the same for every ratio
    annotations: str = ""  # one staff's annotation per line (cycled); "" = Mashcima's random annotations
    steps: int = 5000
    batch_size: int = 8
    lr: float = 1e-3
    width_jitter: float = 0.15  # staves are squeezed or stretched by up to this share each time they are read
    seeds: tuple[int, ...] = (0,)  # one recogniser per ratio and seed, all on the ratio's one set of staves
    bootstrap: int = 2000  # resamples of (seeds, staves) for the CI of a ratio's SER difference
    recognizer: RecognizerSettings = RecognizerSettings()
    checkpoint: str = ""  # GAN checkpoint that draws the generated glyphs
    gold: str = ""
    # added after the first committed results: to_dict leaves them out at their defaults, so the config.json and
    # recogniser keys of those results stay valid
    bank_size: int | None = DEFAULT_BANK_SIZE  # generated glyphs per (writer, class) drawn from; None: all fresh
    real_classes: tuple[str, ...] = ()  # glyph classes the GAN never draws
    beam_width: int = 16  # the second decoding every recogniser is scored with (CTC prefix beam search)
    style: str = "per-staff"  # whose hand the generated glyphs are in (symbol_sources.glyph_draws.STYLES)
    novel_scale: float = 1.0  # style "novel": how far new hands are pushed from the writers' mean
    style_from: str = ""  # a folder of one hand's reference glyphs ("" = none); keyed by content, not path
    precision: str = "fp32"  # the rendering GAN's float precision (fp32 or bf16: their glyphs differ)
    # The writers whose real symbols Mashcima pastes (() = every training writer): the few-writer regime. Unlike
    # the fields above it changes ratio 0's staves too, so it is in every recogniser's key once set.
    real_writers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.ratios or any(not 0.0 <= r <= 1.0 for r in self.ratios):
            raise BenchmarkError(f"ratios must be in [0, 1], got {list(self.ratios)}")
        for name in ("staves", "steps", "batch_size", "bootstrap"):
            if getattr(self, name) < 1:
                raise BenchmarkError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise BenchmarkError(f"seeds must be distinct and at least one, got {list(self.seeds)}")
        if self.beam_width < 1:
            raise BenchmarkError(f"beam_width must be >= 1, got {self.beam_width}")
        if self.bank_size is not None and (self.style == "novel" or self.style_from):
            # said here, not by the staff job: the benchmark's bank size is 32 unless told otherwise
            raise BenchmarkError(f"a glyph bank (bank_size {self.bank_size}) holds training writers' glyphs; style "
                                 "novel and style_from need fresh glyphs (--bank-size fresh)")
        check_glyph_draws(self, BenchmarkError)
        banned = sorted(set(self.real_writers) & set(EVALUATION_WRITERS))
        if banned:
            raise BenchmarkError(f"real_writers: {', '.join(map(str, banned))} are evaluation writers, whose symbols "
                                 "never go into training staves")
        try:
            object.__setattr__(self, "real_classes", check_real_classes(self.real_classes))
        except ValueError as e:
            raise BenchmarkError(f"real_classes: {e}") from None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["ratios"], d["seeds"] = list(self.ratios), list(self.seeds)
        d["recognizer"] = self.recognizer.to_dict()
        d["real_classes"], d["real_writers"] = list(self.real_classes), list(self.real_writers)
        for name in (*LATER_FIELDS, "real_writers"):
            if getattr(self, name) == getattr(StaffBenchConfig, name):
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StaffBenchConfig":
        d = dict(d)
        return cls(**{**d, "ratios": tuple(d["ratios"]), "seeds": tuple(d["seeds"]),
                      "real_classes": tuple(d.get("real_classes", ())),
                      "real_writers": tuple(d.get("real_writers", ())),
                      "recognizer": RecognizerSettings.from_dict(d["recognizer"])})

    def draws(self, ratio: float) -> dict[str, Any]:
        """How the GAN's glyphs are drawn at ``ratio`` (as ``StaffJob`` and ``open_mixed_repository`` name it):
        nothing at ratio 0, whose staves are plain Mashcima's."""
        if ratio == 0:
            return {}
        return {"bank_size": self.bank_size, "real_classes": self.real_classes, "style": self.style,
                "novel_scale": self.novel_scale, "style_from": self.style_from or None, "precision": self.precision}

    def training(self) -> RecognizerTraining:
        return RecognizerTraining(steps=self.steps, batch_size=self.batch_size, lr=self.lr,
                                  width_jitter=self.width_jitter)

    def training_key(self, ratio: float, seed: int, annotations_sha256: str | None = None) -> str:
        """What decides one recogniser: a saved file with this key is reused, not retrained. The GAN and the
        annotations count by content, not path (a new GAN at the same path is retrained for), and the GAN not at
        all at ratio 0, where the staves are plain Mashcima's. ``annotations_sha256``: the annotation file's
        content as recorded in a results.json, for a folder whose annotation file is not at hand."""
        fields = {k: v for k, v in self.to_dict().items()
                  if k not in ("preset", "ratios", "gold", "checkpoint", "seeds", "bootstrap", "annotations",
                               "beam_width", "style_from", *(LATER_FIELDS if ratio == 0 else ()))}
        gan = checkpoint_content(self.checkpoint) if ratio > 0 else None
        annotations = (annotations_sha256 or self.annotations_content()) if self.annotations else None
        key = {**fields, "ratio": ratio, "seed": seed, "gan": gan, "annotations": annotations}
        if ratio > 0 and self.style_from:  # only when set: the keys of runs without references stay as they were
            key["style_from"] = self.style_from_content()
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]

    def annotations_content(self) -> str | None:
        """sha256 of the annotation file (None: Mashcima's random annotations)."""
        return checkpoint_content(self.annotations) if self.annotations else None

    def style_from_content(self) -> str:
        """sha256 of the reference glyphs (names and bytes; "" when there are none)."""
        from symbol_sources.references import references_sha256

        return references_sha256(self.style_from) if self.style_from else ""


LATER_FIELDS = ("bank_size", "real_classes", "beam_width", "style", "novel_scale", "style_from", "precision")


def checkpoint_content(path: str) -> str:
    """sha256 of a file such as a GAN checkpoint ("" when there is none)."""
    from gan.provenance import file_sha256

    return file_sha256(path) if path and Path(path).is_file() else ""


PRESETS: dict[str, StaffBenchConfig] = {
    # seconds: for tests
    "smoke": StaffBenchConfig(preset="smoke", ratios=(0.0, 1.0), staves=4, steps=3, batch_size=2, beam_width=4,
                              recognizer=RecognizerSettings(height=32, channels=(4, 8, 8, 8), lstm_hidden=8,
                                                            lstm_layers=1)),
    # 2-core CPU, <= 3 h: ratios 0 and 0.5, 3 recogniser seeds each (12-14 min per recogniser alone, so
    # --ratios 0,0.5,1 projects to ~2.1 h, unmeasured), on real-music annotations of real staff length
    # (--annotations from `ganmash annotations from-corpus`); a 6-conv, 2-layer BiLSTM CRNN like Mashcima's
    "cpu": StaffBenchConfig(preset="cpu", ratios=(0.0, 0.5), staves=2000, steps=3000, batch_size=8, seeds=(0, 1, 2),
                            recognizer=RecognizerSettings(height=64, channels=(16, 32, 48, 64, 64, 96),
                                                          lstm_hidden=128, lstm_layers=2)),
    # one GPU: >= 20k staves per ratio (rendering stays on CPU workers)
    "gpu": StaffBenchConfig(preset="gpu", ratios=(0.0, 0.5), staves=20000, steps=40000, batch_size=32, lr=5e-4,
                            seeds=(0, 1, 2),
                            recognizer=RecognizerSettings(height=64, channels=(32, 64, 96, 128, 128, 192),
                                                          lstm_hidden=256, lstm_layers=2)),
}


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


# -- training ----------------------------------------------------------------------------------------------------
def read_staves(folder: str | os.PathLike, height: int, codec: TokenCodec) -> tuple[list[np.ndarray], list[list[int]]]:
    """Normalised images and token labels of a ``synthesize-staves`` folder (staves Mashcima skipped are absent)."""
    import cv2

    from symbol_sources.staves import read_manifest

    folder = Path(folder)
    images, labels = [], []
    for r in read_manifest(folder):
        if "file" not in r:
            continue
        tokens = r["annotation"].split()
        if codec.unknown(tokens):
            raise BenchmarkError(f"{folder}: staff {r['index']} has tokens outside the vocabulary: "
                                 f"{codec.unknown(tokens)}")
        img = cv2.imread(os.fspath(folder / r["file"]), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise BenchmarkError(f"{folder / r['file']} is not a readable image")
        images.append((normalise_staff(img, height) * 255).round().astype(np.uint8))  # 4x less memory than floats
        labels.append(codec.encode(tokens))
    if not images:
        raise BenchmarkError(f"{folder} holds no staves to train on")
    return images, labels


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


def _quartiles(values: Sequence[float]) -> dict[str, float]:
    q = np.percentile(np.asarray(values, np.float64), [0, 25, 50, 75, 100])
    return dict(zip(("min", "q1", "median", "q3", "max"), (round(float(x), 1) for x in q)))


def summarise_runs(runs: Sequence[dict[str, Any]], config: StaffBenchConfig) -> list[dict[str, Any]]:
    """Per ratio: SER mean and std over seeds, SER per gold writer, and (after the first ratio) the paired
    bootstrap CI of its SER difference from the first ratio, over the seeds both have."""
    rng = np.random.default_rng(0)
    by = {(r["ratio"], r["seed"]): r for r in runs}
    base = config.ratios[0]
    out = []
    for ratio in config.ratios:
        mine = [by[(ratio, s)] for s in config.seeds if (ratio, s) in by]
        scored = [[st for st in r["staves"] if "ser" in st] for r in mine]
        per_writer: dict[str, list[float]] = {}
        for rows in scored:
            for st in rows:
                per_writer.setdefault(str(st["writer"]), []).append(st["ser"])
        entry: dict[str, Any] = {
            "ratio": ratio, "seeds": [r["seed"] for r in mine],
            "ser": mean_std([r["ser"] for r in mine]), "ser_pitchless": mean_std([r["ser_pitchless"] for r in mine]),
            "ser_beam": mean_std([r["ser_beam"] for r in mine]),
            "ser_per_writer": {w: round(float(np.mean(v)), 4) for w, v in sorted(per_writer.items())},
            "staves_scored": mine[0]["staves_scored"], "share_unreachable": mine[0]["share_unreachable"],
            "final_loss": mean_std([r["final_loss"] for r in mine]),
            "train_seconds": round(sum(r["train_seconds"] for r in mine), 1)}
        paired = [s for s in entry["seeds"] if (base, s) in by]
        if ratio != base and paired:
            diff = np.array([[a["ser"] - b["ser"] for a, b in zip(by[(ratio, s)]["staves"], by[(base, s)]["staves"])
                              if "ser" in a] for s in paired])
            entry["ser_minus_first_ratio"] = paired_bootstrap(diff, config.bootstrap, rng)
        out.append(entry)
    return out


# -- the benchmark ------------------------------------------------------------------------------------------------
def recognizer_name(ratio: float, seed: int) -> str:
    return f"recognizer_ratio{ratio:.2f}_seed{seed}.pt"


def staves_folder_name(ratio: float, gan: str, notes: str, draws: dict[str, Any], references: str,
                       real_writers: tuple[int, ...] = ()) -> str:
    """The work folder of a ratio's staves. The GAN's and the annotations' content name it, and how the GAN's glyphs
    are drawn where that is not the default: staves drawn otherwise, by another GAN or from another annotation
    file are never resumed into. ``references``: the content of the reference glyphs, if any; ``real_writers``:
    the writers of the real symbols, where not every training writer's."""
    name = f"ratio_{ratio:.2f}" + (f"-{gan[:12]}" if gan else "") + (f"-a{notes[:12]}" if notes else "")
    if real_writers:
        name += "-w" + "_".join(map(str, real_writers))
    if draws and draws["bank_size"] is None:
        name += "-fresh"
    elif draws.get("bank_size", DEFAULT_BANK_SIZE) != DEFAULT_BANK_SIZE:
        name += f"-b{draws['bank_size']}"
    if draws.get("real_classes"):
        name += "-real" + hashlib.sha256(",".join(draws["real_classes"]).encode()).hexdigest()[:8]
    if draws.get("style", "per-staff") != "per-staff":
        name += f"-{draws['style']}"
    if draws.get("novel_scale", 1.0) != 1.0:
        name += f"-n{draws['novel_scale']:g}"
    if references:
        name += f"-r{references[:12]}"
    if draws.get("precision", "fp32") != "fp32":
        name += f"-{draws['precision']}"
    return name


def _render(config: StaffBenchConfig, ratio: float, work: Path, muscima_pp: Path, device: str, workers: int,
            real_repo: Callable[[], Any], progress: bool) -> Path:
    from symbol_sources.mashcima_provider import open_mixed_repository
    from symbol_sources.staves import StaffJob, synthesize_staves

    gan = checkpoint_content(config.checkpoint) if ratio > 0 else ""
    notes = config.annotations_content() or ""
    draws = config.draws(ratio)
    references = config.style_from_content() if draws.get("style_from") else ""
    folder = work / staves_folder_name(ratio, gan, notes, draws, references, config.real_writers)
    job = StaffJob(count=config.staves, ratio=ratio, seed=config.staff_seed, mode="training",
                   checkpoint=config.checkpoint, checkpoint_sha256=gan,
                   annotations=config.annotations or None, style_from_sha256=references, **draws)
    synthesize_staves(None, job, folder, resume=True, progress=progress, workers=workers,
                      repo_factory=lambda: open_mixed_repository(config.checkpoint, muscima_pp, ratio=ratio,
                                                                 device=device, seed=config.staff_seed,
                                                                 real=real_repo(), **draws))
    return folder


def _plot(results: dict[str, Any], path: Path) -> None:
    plt = agg_pyplot()

    ratios = [r["ratio"] for r in results["ratios"]]
    fig, ax = plt.subplots(figsize=(5, 3.4), dpi=120)
    for key, style, label in (("ser", "o-", "SER"), ("ser_pitchless", "s--", "SER, pitch ignored")):
        ax.errorbar(ratios, [r[key]["mean"] for r in results["ratios"]], yerr=[r[key]["std"] for r in results["ratios"]],
                    fmt=style, capsize=3, label=f"{label} (mean ± std over seeds)")
    for run in results["runs"]:  # each seed's recogniser
        ax.plot(run["ratio"], run["ser"], ".", color="gray", alpha=0.6)
    ax.set_xlabel("share of glyphs drawn by the GAN (ratio)")
    ax.set_ylabel("symbol error rate (lower is better)")
    ax.set_title(f"{results['staves_scored']} real staves, writers {results['gold_writers']}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png"))
    plt.close(fig)


def _draws_described(c: dict[str, Any]) -> str:
    """How a results.json's config drew the GAN's glyphs, in words (absent fields: their defaults)."""
    bank = c.get("bank_size", DEFAULT_BANK_SIZE)
    text = (f"Real symbols of writers {c['real_writers']} only; " if c.get("real_writers") else "") + "GAN glyphs " + ("fresh, each pasted once" if bank is None else f"drawn from {bank} per writer and class")
    if c.get("real_classes"):
        text += f", never for {', '.join(c['real_classes'])}"
    if c.get("style_from"):
        text += f", in the hand of the reference glyphs in {c['style_from']}"
    elif c.get("style", "per-staff") != "per-staff":
        text += f", style {c['style']}" + (f" (scale {c['novel_scale']:g})" if "novel_scale" in c else "")
    if c.get("precision", "fp32") != "fp32":
        text += f", GAN in {c['precision']}"
    return text


def _markdown(results: dict[str, Any]) -> str:
    c = results["config"]
    t, g = results["training_staves"], results["gold_staves"]
    lines = [f"# Staff recognition on real CVC-MUSCIMA staves ({c['preset']} preset)", "",
             f"Recogniser: CRNN + CTC ({len(c['recognizer']['channels'])} conv layers, {c['recognizer']['lstm_layers']}"
             f"-layer BiLSTM, {c['recognizer']['height']} px), {c['steps']} steps of batch {c['batch_size']} on "
             f"{c['staves']} Mashcima staves per ratio, one recogniser per seed {c['seeds']} (same staves, "
             f"annotations and seeds for every ratio). Annotations: {results['annotations']['source']}. "
             f"{_draws_described(c)}. Test: "
             f"{results['staves_scored']} gold staves of writers {results['gold_writers']} "
             f"({results['blank_staves_skipped']} blank skipped). Gold tokens no recogniser here can output count as "
             "errors (their share: last column).", "",
             f"Training staves: tokens median {t['tokens']['median']} (quartiles {t['tokens']['q1']}–{t['tokens']['q3']}), "
             f"width median {t['width_px']['median']} px; gold staves: tokens median {g['tokens']['median']} "
             f"({g['tokens']['q1']}–{g['tokens']['q3']}), width median {g['width_px']['median']} px.", "",
             f"| GAN ratio | SER (mean ± std over seeds) | SER, pitch ignored | SER − ratio {c['ratios'][0]:.2f} "
             f"(paired bootstrap 95 % CI) | SER per writer | SER, beam search (width {c.get('beam_width', 16)}) | "
             "train time (s) | unreachable gold |",
             "|---:|---:|---:|---:|---|---:|---:|---:|"]
    for r in results["ratios"]:
        d = r.get("ser_minus_first_ratio")
        diff = f"{d['mean']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" if d else "–"
        writers = ", ".join(f"{w}: {v:.3f}" for w, v in r["ser_per_writer"].items())
        lines.append(f"| {r['ratio']:.2f} | {r['ser']['mean']:.3f} ± {r['ser']['std']:.3f} | "
                     f"{r['ser_pitchless']['mean']:.3f} ± {r['ser_pitchless']['std']:.3f} | {diff} | {writers} | "
                     f"{r['ser_beam']['mean']:.3f} ± {r['ser_beam']['std']:.3f} | "
                     f"{r['train_seconds']:.0f} | {r['share_unreachable']:.1%} |")
    return "\n".join(lines) + "\n"


def _training_staves_shape(folder: Path) -> dict[str, Any]:
    from symbol_sources.staves import read_manifest

    rows = [r for r in read_manifest(folder) if "file" in r]
    return {"staves": len(rows), "tokens": _quartiles([len(r["annotation"].split()) for r in rows]),
            "width_px": _quartiles([r["width"] for r in rows]), "height_px": _quartiles([r["height"] for r in rows])}


def _trained_recognizer(name: str, key: str, out: Path, reuse_from: Sequence[Path], device: torch.device,
                        log: Callable[[str], None], label: str) -> LoadedRecognizer | None:
    """The recogniser file ``name`` when one with training key ``key`` is in ``out`` or a ``reuse_from`` folder
    (copied into ``out``, so the results folder holds every recogniser it reports); None when it must train."""
    for folder in (out, *reuse_from):
        path = folder / name
        if not path.is_file():
            continue
        loaded = load_recognizer(path, device)
        if loaded.info.get("training_key") != key:
            continue
        if folder != out:
            atomic_write_bytes(out / name, path.read_bytes())
        log(f"{label}: reusing {path}")
        return loaded
    return None


def _recognizers_still_trained_as(config: StaffBenchConfig, out: Path) -> set[str]:
    """The recogniser files in ``out`` that ``config`` would train the same: their saved training key is the
    one ``config`` gives their ratio and seed."""
    kept = set()
    for path in sorted(out.glob("recognizer_*.pt")) if out.is_dir() else []:
        try:
            info = load_recognizer(path).info
            ratio, seed = float(info["ratio"]), int(info["seed"])
        except (RecognizerError, KeyError, TypeError, ValueError):
            continue  # not a recogniser this benchmark saved: removed with the old run, as before
        if path.name == recognizer_name(ratio, seed) and info.get("training_key") == config.training_key(ratio, seed):
            kept.add(path.name)
    return kept


def _keep_training_log_of(metrics: Path, recognizers: set[str]) -> None:
    """Keep the training-log lines of the ``recognizers`` kept from an old run, and only those."""
    if not metrics.is_file():
        return
    try:
        rows = [r for r in complete_jsonl(metrics) if recognizer_name(r["ratio"], r["seed"]) in recognizers]
    except (ValueError, KeyError, TypeError):
        rows = []  # a damaged log of an old run: its recognisers stay, the log of their training goes
    atomic_write_bytes(metrics, "".join(json.dumps(r) + "\n" for r in rows).encode())


class _TrainingStaves:
    """The staves recognisers train on, rendered into ``work`` and read only when a recogniser has to train
    (reused ones need none), one ratio in memory at a time; and Mashcima's own repository they draw real symbols
    from, which takes seconds warm and a minute cold: built once, only if some ratio is rendered."""

    def __init__(self, config: StaffBenchConfig, work: Path, muscima_pp: Path, device: str, workers: int,
                 codec: TokenCodec, real_repository: Any, progress: bool, log: Callable[[str], None]) -> None:
        self.config, self.work, self.muscima_pp, self.device, self.workers = config, work, muscima_pp, device, workers
        self.codec, self.real, self.progress, self.log = codec, real_repository, progress, log
        self.shape: dict[str, Any] | None = None  # of the first ratio's staves rendered
        self._read: tuple[float, tuple[list[np.ndarray], list[list[int]]]] | None = None

    def real_repository(self) -> Any:
        from symbol_sources.mashcima_repository import build_mashcima_repository

        if self.real is None:
            self.real = build_mashcima_repository(self.muscima_pp, writers=self.config.real_writers or None)
        return self.real

    def folder(self, ratio: float) -> Path:
        folder = _render(self.config, ratio, self.work, self.muscima_pp, self.device, self.workers,
                         self.real_repository, self.progress)
        if self.shape is None:
            self.shape = _training_staves_shape(folder)
        return folder

    def of_ratio(self, ratio: float) -> tuple[list[np.ndarray], list[list[int]]]:
        if self._read is None or self._read[0] != ratio:
            self.log(f"ratio {ratio:.2f}: rendering {self.config.staves} staves into {self.work}")
            self._read = ratio, read_staves(self.folder(ratio), self.config.recognizer.height, self.codec)
        return self._read[1]

    def described(self) -> dict[str, Any]:
        """The shape of the training staves; when every recogniser was reused, of the first ratio's."""
        return self.shape if self.shape is not None else _training_staves_shape(self.folder(self.config.ratios[0]))


class _TrainingLog:
    """``train_recognizer``'s ``on_log``: each record goes to metrics.jsonl under its ratio and seed; keeps the
    last (its loss is the recogniser's final loss)."""

    def __init__(self, path: Path, ratio: float, seed: int) -> None:
        self.path, self.ratio, self.seed = path, ratio, seed
        self.last: dict[str, Any] = {}

    def __call__(self, record: dict[str, Any]) -> None:
        self.last = record
        append_jsonl(self.path, {"ratio": self.ratio, "seed": self.seed, **record})


def _check_inputs(config: StaffBenchConfig, reuse_from: Sequence[Path]) -> None:
    for folder in reuse_from:
        if not folder.is_dir():
            raise BenchmarkError(f"--reuse-from folder {folder} does not exist")
    if config.annotations and not Path(config.annotations).is_file():
        raise BenchmarkError(f"annotation file {config.annotations} does not exist")
    if config.style_from:
        from symbol_sources.references import read_reference_glyphs

        read_reference_glyphs(config.style_from, 32)  # unreadable references fail now, not after the gold staves


def _train(config: StaffBenchConfig, ratio: float, seed: int, key: str, staves: tuple[list, list],
           codec: TokenCodec, dev: torch.device, out: Path, progress: bool,
           log: Callable[[str], None]) -> LoadedRecognizer:
    """Train the recogniser of (``ratio``, ``seed``) and save it into ``out`` with what made it."""
    images, labels = staves
    log(f"ratio {ratio:.2f}, seed {seed}: training the recogniser on {len(images)} staves ({config.steps} steps)")
    t0 = time.perf_counter()
    training_log = _TrainingLog(out / METRICS, ratio, seed)
    model = train_recognizer(images, labels, codec, config.recognizer, config.training(), dev, seed, progress,
                             training_log)
    trained = sorted({codec.vocabulary[t - 1] for seq in labels for t in seq})
    info = {"training_key": key, "ratio": ratio, "seed": seed, "training_staves": len(images),
            "steps": config.steps, "trained_tokens": trained, "final_loss": training_log.last.get("loss"),
            "train_seconds": round(time.perf_counter() - t0, 1), "config": config.to_dict()}
    model_path = out / recognizer_name(ratio, seed)
    save_recognizer(model_path, model, codec, config.recognizer, info)
    return load_recognizer(model_path, dev)


def _score(recognizer: LoadedRecognizer, gold: list[GoldStaff], gold_images: list[np.ndarray], ratio: float,
           seed: int, beam_width: int, log: Callable[[str], None]) -> dict[str, Any]:
    """One run's record: the recogniser read the gold staves greedily and with beam search."""
    scored = evaluate_recognizer(recognizer, gold, gold_images)
    beam = evaluate_recognizer(recognizer, gold, gold_images, beam_width)
    log(f"ratio {ratio:.2f}, seed {seed}: SER {scored['ser']:.3f}, pitch ignored {scored['ser_pitchless']:.3f}"
        f", beam search {beam['ser']:.3f}")
    return {"ratio": ratio, "seed": seed, "recognizer": recognizer_name(ratio, seed), **{
        k: recognizer.info.get(k) for k in ("training_staves", "final_loss", "train_seconds")}, **scored,
        "ser_beam": beam["ser"], "predicted_beam": [st["predicted"] for st in beam["staves"]]}


def _results(config: StaffBenchConfig, dev: torch.device, gold: list[GoldStaff], gold_images: list[np.ndarray],
             training_staves: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    from gan.provenance import provenance

    first = runs[0]
    return {
        "config": config.to_dict(), "device": str(dev), "gold_file": config.gold,
        "provenance": {**provenance(), "checkpoint_sha256": checkpoint_content(config.checkpoint),
                       **({"style_from_sha256": config.style_from_content()} if config.style_from else {})},
        "annotations": {"source": config.annotations or "Mashcima's random annotations",
                        "sha256": config.annotations_content()},
        "gold_writers": sorted({g.writer for g in gold}),
        **{k: first[k] for k in ("staves_scored", "blank_staves_skipped", "gold_tokens",
                                 "gold_tokens_outside_vocabulary")},
        "training_staves": training_staves,
        "gold_staves": {"tokens": _quartiles([len(g.tokens) for g in gold if g.tokens]),
                        "width_px": _quartiles([im.shape[1] for im in gold_images]),
                        "height_px": _quartiles([im.shape[0] for im in gold_images])},
        "ratios": summarise_runs(runs, config),
        "runs": runs,
    }


def _write_results(out: Path, results: dict[str, Any]) -> None:
    atomic_write_json(out / "results.json", results)
    atomic_write_bytes(out / "results.md", _markdown(results).encode())
    _plot(results, out / "ser.png")


def run_staff_benchmark(config: StaffBenchConfig, out: str | os.PathLike, work: str | os.PathLike,
                        muscima_pp: str | os.PathLike, device: str = "auto", workers: int = 1,
                        overwrite: bool = False, progress: bool = True, log: Callable[[str], None] = print,
                        real_repository: Any = None,
                        reuse_from: Sequence[str | os.PathLike] = ()) -> dict[str, Any]:
    """Render, train and score every ratio and seed of ``config``; see the module docstring.

    ``real_repository``: an already built ``mashcima.SymbolRepository`` to draw real symbols from
    (default: built here over ``config.real_writers`` of ``muscima_pp``, or all its training writers). ``reuse_from``: other results folders
    whose recognisers are reused where their training key matches (e.g. ratio 0, which no GAN setting changes).
    """
    from symbol_sources import load_muscima_pp
    from symbol_sources.real_staves import load_gold_staves

    out, work, muscima_pp = Path(out), Path(work), Path(muscima_pp)
    reuse_from = [Path(f) for f in reuse_from]
    _check_inputs(config, reuse_from)
    dev = resolve_device(device)
    # the cheap checks first: a bad gold row must not cost an hour of rendering and training
    log(f"rendering the gold staves of {config.gold} from MUSCIMA++")
    gold, gold_images = load_gold_staves(config.gold, load_muscima_pp(muscima_pp))
    # more ratios or seeds extend a finished run: every recogniser is keyed on its own settings. Starting over
    # (--overwrite) keeps the recognisers whose key the new settings give them too (another --gold only rescores)
    # and their training log lines.
    kept = _recognizers_still_trained_as(config, out) if overwrite else set()
    if prepare_results_folder(out, config.to_dict(), overwrite, resumable_fields=("ratios", "seeds", "bootstrap"),
                              is_output=lambda name: name.startswith("recognizer_")
                              or name in (CONFIG, METRICS, "results.json", "results.md", "ser.png"),
                              keep=lambda name: name in kept or name == METRICS):
        _keep_training_log_of(out / METRICS, kept)
    codec = TokenCodec(mashcima_vocabulary())
    staves = _TrainingStaves(config, work, muscima_pp, device, workers, codec, real_repository, progress, log)
    runs = []
    for ratio in config.ratios:
        for seed in config.seeds:
            key = config.training_key(ratio, seed)
            recognizer = _trained_recognizer(recognizer_name(ratio, seed), key, out, reuse_from, dev, log,
                                             f"ratio {ratio:.2f}, seed {seed}")
            if recognizer is None:
                recognizer = _train(config, ratio, seed, key, staves.of_ratio(ratio), codec, dev, out, progress, log)
            runs.append(_score(recognizer, gold, gold_images, ratio, seed, config.beam_width, log))
    results = _results(config, dev, gold, gold_images, staves.described(), runs)
    _write_results(out, results)
    return results
