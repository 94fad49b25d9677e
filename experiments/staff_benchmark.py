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
decoding; every recogniser is also scored with CTC prefix beam search (``beam_width``), reported beside it
(scoring: ``experiments.staff_scoring``; results.md and ser.png: ``experiments.staff_report``).

The test staves (``gold``, dev.tsv: evaluation writers) report; the validation staves (``val_gold``, from
``ganmash data transcribe`` of validation writers) are the set to choose recipes on. With them, the real symbol
pool leaves their writers out, and a GAN trained on them is refused.

Layout: ``--work`` holds the rendered staves (large, not for committing): ``ratio_0.50-<GAN>-<annotations>/``...;
``--out`` holds what is committed: config.json, metrics.jsonl, results.json, results.md, ser.png and
``recognizer_ratio0.50_seed0.pt`` per ratio and seed. Every stage is resumable: rendered staves are resumed by
``synthesize_staves``, a recogniser whose file matches the config (GAN and annotations by content) is reused,
also from other results folders named in ``reuse_from`` (ratio 0 does not depend on any GAN setting).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import torch

from experiments.staff_recognizer import (LoadedRecognizer, RecognizerError, RecognizerSettings, RecognizerTraining,
                                          TokenCodec, load_recognizer, mashcima_vocabulary, normalise_staff,
                                          save_recognizer, train_recognizer)
from experiments.seed_stats import mean_std
from experiments.results_folder import CONFIG, METRICS, BenchmarkError, prepare_results_folder
from experiments.staff_report import markdown, plot_results
from experiments.staff_scoring import evaluate_recognizer, quartiles, summarise_scores
from gan import GivenReplace, append_jsonl, atomic_write_bytes, atomic_write_json, complete_jsonl, resolve_device
from gan.provenance import provenance
from symbol_sources.glyph_draws import DEFAULT_BANK_SIZE
from symbol_sources.locate import EVALUATION_WRITERS
from symbol_sources.mashcima_provider import check_real_classes
from symbol_sources.staves import check_glyph_draws
from symbol_sources.real_staves import GoldStaff


class GoldSet(NamedTuple):
    """Gold staves and their images, rendered from MUSCIMA++ (``load_gold_staves``)."""
    staves: list[GoldStaff]
    images: list[np.ndarray]


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
    # Gold staves of validation writers (``ganmash data transcribe``), scored beside ``gold``: the set recipes are
    # chosen on. Its writers' real symbols never go into the training staves (so it is in every key, as the writers
    # it holds out), and a GAN trained on them is refused.
    val_gold: str = ""

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
        for name in (*LATER_FIELDS, "real_writers", "val_gold"):
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
                  if k not in ("preset", "ratios", "gold", "val_gold", "checkpoint", "seeds", "bootstrap",
                               "annotations", "beam_width", "style_from", *(LATER_FIELDS if ratio == 0 else ()))}
        gan = checkpoint_content(self.checkpoint) if ratio > 0 else None
        annotations = (annotations_sha256 or self.annotations_content()) if self.annotations else None
        key = {**fields, "ratio": ratio, "seed": seed, "gan": gan, "annotations": annotations}
        if ratio > 0 and self.style_from:  # only when set: the keys of runs without references stay as they were
            key["style_from"] = self.style_from_content()
        if self.val_gold:  # the writers, not the file: a corrected transcription of the same writers only rescores
            key["held_out_writers"] = list(self.held_out_writers())
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]

    def annotations_content(self) -> str | None:
        """sha256 of the annotation file (None: Mashcima's random annotations)."""
        return checkpoint_content(self.annotations) if self.annotations else None

    def held_out_writers(self) -> tuple[int, ...]:
        """The writers of the validation gold, whose real symbols the training staves leave out (() without one)."""
        return _gold_writers(self.val_gold) if self.val_gold else ()

    def style_from_content(self) -> str:
        """sha256 of the reference glyphs (names and bytes; "" when there are none)."""
        from symbol_sources.references import references_sha256

        return references_sha256(self.style_from) if self.style_from else ""


@functools.lru_cache(maxsize=8)
def _gold_writers(path: str) -> tuple[int, ...]:
    """The writers of a gold file, read once per job (every recogniser's key names them)."""
    from symbol_sources.real_staves import read_gold

    return tuple(sorted({g.writer for g in read_gold(path)}))


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


def summarise_runs(runs: Sequence[dict[str, Any]], config: StaffBenchConfig) -> list[dict[str, Any]]:
    """``summarise_scores`` of the test staves, with each ratio's beam-search SER, final loss and training time."""
    out = summarise_scores(runs, config.ratios, config.seeds, config.bootstrap)
    for entry in out:
        mine = [r for r in runs if r["ratio"] == entry["ratio"] and r["seed"] in entry["seeds"]]
        entry.update(ser_beam=mean_std([r["ser_beam"] for r in mine]),
                     final_loss=mean_std([r["final_loss"] for r in mine]),
                     train_seconds=round(sum(r["train_seconds"] for r in mine), 1))
    return out


# -- the benchmark ------------------------------------------------------------------------------------------------
def recognizer_name(ratio: float, seed: int) -> str:
    return f"recognizer_ratio{ratio:.2f}_seed{seed}.pt"


def staves_folder_name(ratio: float, gan: str, notes: str, draws: dict[str, Any], references: str,
                       real_writers: tuple[int, ...] = (), held_out: tuple[int, ...] = ()) -> str:
    """The work folder of a ratio's staves. The GAN's and the annotations' content name it, and how the GAN's glyphs
    are drawn where that is not the default: staves drawn otherwise, by another GAN or from another annotation
    file are never resumed into. ``references``: the content of the reference glyphs, if any; ``real_writers``:
    the writers of the real symbols, where not every training writer's; ``held_out``: writers left out of them
    (the validation gold's)."""
    name = f"ratio_{ratio:.2f}" + (f"-{gan[:12]}" if gan else "") + (f"-a{notes[:12]}" if notes else "")
    if real_writers:
        name += "-w" + "_".join(map(str, real_writers))
    if held_out:
        name += "-x" + "_".join(map(str, held_out))
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
    folder = work / staves_folder_name(ratio, gan, notes, draws, references, config.real_writers,
                                       config.held_out_writers())
    job = StaffJob(count=config.staves, ratio=ratio, seed=config.staff_seed, mode="training",
                   checkpoint=config.checkpoint, checkpoint_sha256=gan,
                   annotations=config.annotations or None, style_from_sha256=references, **draws)
    synthesize_staves(None, job, folder, resume=True, progress=progress, workers=workers,
                      repo_factory=lambda: open_mixed_repository(config.checkpoint, muscima_pp, ratio=ratio,
                                                                 device=device, seed=config.staff_seed,
                                                                 real=real_repo(), **draws))
    return folder


def _training_staves_shape(folder: Path) -> dict[str, Any]:
    from symbol_sources.staves import read_manifest

    rows = [r for r in read_manifest(folder) if "file" in r]
    return {"staves": len(rows), "tokens": quartiles([len(r["annotation"].split()) for r in rows]),
            "width_px": quartiles([r["width"] for r in rows]), "height_px": quartiles([r["height"] for r in rows])}


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
            self.real = build_mashcima_repository(self.muscima_pp, writers=self.config.real_writers or None,
                                                  exclude_writers=(*EVALUATION_WRITERS,
                                                                   *self.config.held_out_writers()))
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
    if config.val_gold:
        _check_held_out(config)


def _check_held_out(config: StaffBenchConfig) -> None:
    """The validation gold scores recipes only if nothing trained on its writers, and if it is no test set."""
    held_out = config.held_out_writers()
    tested = sorted(set(held_out) & set(EVALUATION_WRITERS))
    if tested:
        raise BenchmarkError(f"--val-gold {config.val_gold} holds staves of evaluation writers "
                             f"{', '.join(map(str, tested))}; validation staves are chosen on, test writers never are")
    pasted = sorted(set(held_out) & set(config.real_writers))
    if pasted:
        raise BenchmarkError(f"--real-writers {', '.join(map(str, pasted))} are writers of --val-gold "
                             f"{config.val_gold}; their real symbols must stay out of the training staves")
    if any(r > 0 for r in config.ratios) and Path(config.checkpoint).is_file():
        from gan import load_generator

        trained = sorted(set(held_out) & set(load_generator(config.checkpoint).writers))
        if trained:
            raise BenchmarkError(f"the GAN {config.checkpoint} was trained on writers {', '.join(map(str, trained))} "
                                 f"of --val-gold {config.val_gold}; use one trained without them "
                                 "(ganmash train --val-writers ...)")


def _train(config: StaffBenchConfig, ratio: float, seed: int, key: str, staves: tuple[list, list],
           codec: TokenCodec, dev: torch.device, out: Path, progress: bool,
           log: Callable[[str], None], commit: str | None) -> LoadedRecognizer:
    """Train the recogniser of (``ratio``, ``seed``) and save it into ``out`` with what made it; ``commit``: the
    code's, as the job started (a run that resumes over sessions trains its recognisers at several)."""
    images, labels = staves
    log(f"ratio {ratio:.2f}, seed {seed}: training the recogniser on {len(images)} staves ({config.steps} steps)")
    t0 = time.perf_counter()
    training_log = _TrainingLog(out / METRICS, ratio, seed)
    model = train_recognizer(images, labels, codec, config.recognizer, config.training(), dev, seed, progress,
                             training_log)
    trained = sorted({codec.vocabulary[t - 1] for seq in labels for t in seq})
    info = {"training_key": key, "ratio": ratio, "seed": seed, "training_staves": len(images),
            "steps": config.steps, "trained_tokens": trained, "final_loss": training_log.last.get("loss"),
            "train_seconds": round(time.perf_counter() - t0, 1), "config": config.to_dict(),
            "git_commit": commit}
    model_path = out / recognizer_name(ratio, seed)
    save_recognizer(model_path, model, codec, config.recognizer, info)
    return load_recognizer(model_path, dev)


def _score(recognizer: LoadedRecognizer, gold: GoldSet, ratio: float, seed: int, beam_width: int,
           log: Callable[[str], None], val: GoldSet | None = None) -> dict[str, Any]:
    """One run's record: the recogniser read the gold staves greedily and with beam search, and the validation
    staves (if any) greedily. Validation rows keep no gold text: it derives from MUSCIMA++ (CC BY-NC-SA), and
    results folders are committed."""
    scored = evaluate_recognizer(recognizer, *gold)
    beam = evaluate_recognizer(recognizer, *gold, beam_width)
    record = {"ratio": ratio, "seed": seed, "recognizer": recognizer_name(ratio, seed), **{
        k: recognizer.info.get(k) for k in ("training_staves", "final_loss", "train_seconds", "git_commit")}, **scored,
        "ser_beam": beam["ser"], "predicted_beam": [st["predicted"] for st in beam["staves"]]}
    said = f"ratio {ratio:.2f}, seed {seed}: SER {scored['ser']:.3f}, pitch ignored {scored['ser_pitchless']:.3f}" \
           f", beam search {beam['ser']:.3f}"
    if val is not None:
        v = evaluate_recognizer(recognizer, *val)
        record["validation"] = {**v, "staves": [{k: x for k, x in st.items() if k != "gold"} for st in v["staves"]]}
        said += f"; validation staves SER {v['ser']:.3f}"
    log(said)
    return record


def _validation(config: StaffBenchConfig, val: GoldSet, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """results.json's validation part: what was scored, what the pools left out, and the summary per ratio."""
    scored = [{"ratio": r["ratio"], "seed": r["seed"], **r["validation"]} for r in runs]
    return {"gold_file": config.val_gold, "gold_sha256": checkpoint_content(config.val_gold),
            "gold_writers": sorted({g.writer for g in val.staves}),
            "real_pool_leaves_out": list(config.held_out_writers()),
            **{k: scored[0][k] for k in ("staves_scored", "blank_staves_skipped", "gold_tokens",
                                         "gold_tokens_outside_vocabulary")},
            "ratios": summarise_scores(scored, config.ratios, config.seeds, config.bootstrap)}


def _results(config: StaffBenchConfig, dev: torch.device, gold: GoldSet, val: GoldSet | None,
             training_staves: dict[str, Any], runs: list[dict[str, Any]], code: dict[str, Any]) -> dict[str, Any]:
    """results.json; ``code``: the provenance of the code as the job started (each run records the commit its
    recogniser was trained at)."""
    first = runs[0]
    gold, gold_images = gold
    results = {
        "config": config.to_dict(), "device": str(dev), "gold_file": config.gold,
        "provenance": {**code, "checkpoint_sha256": checkpoint_content(config.checkpoint),
                       **({"style_from_sha256": config.style_from_content()} if config.style_from else {})},
        "annotations": {"source": config.annotations or "Mashcima's random annotations",
                        "sha256": config.annotations_content()},
        "gold_writers": sorted({g.writer for g in gold}),
        **{k: first[k] for k in ("staves_scored", "blank_staves_skipped", "gold_tokens",
                                 "gold_tokens_outside_vocabulary")},
        "training_staves": training_staves,
        "gold_staves": {"tokens": quartiles([len(g.tokens) for g in gold if g.tokens]),
                        "width_px": quartiles([im.shape[1] for im in gold_images]),
                        "height_px": quartiles([im.shape[0] for im in gold_images])},
        "ratios": summarise_runs(runs, config),
        "runs": runs,
    }
    if val is not None:
        results["validation"] = _validation(config, val, runs)
    return results


def _write_results(out: Path, results: dict[str, Any]) -> None:
    atomic_write_json(out / "results.json", results)
    atomic_write_bytes(out / "results.md", markdown(results).encode())
    plot_results(results, out / "ser.png")


def run_staff_benchmark(config: StaffBenchConfig, out: str | os.PathLike, work: str | os.PathLike,
                        muscima_pp: str | os.PathLike, device: str = "auto", workers: int = 1,
                        overwrite: bool = False, progress: bool = True, log: Callable[[str], None] = print,
                        real_repository: Any = None,
                        reuse_from: Sequence[str | os.PathLike] = ()) -> dict[str, Any]:
    """Render, train and score every ratio and seed of ``config``; see the module docstring.

    ``real_repository``: an already built ``mashcima.SymbolRepository`` to draw real symbols from (default: built
    here over ``config.real_writers`` of ``muscima_pp``, or all its training writers, less the validation gold's;
    one given is trusted to leave those out). ``reuse_from``: other results folders whose recognisers are reused
    where their training key matches (e.g. ratio 0, which no GAN setting changes).
    """
    from symbol_sources import load_muscima_pp
    from symbol_sources.real_staves import load_gold_staves

    code = provenance()  # as the job starts: commits made while it runs are not what it runs
    out, work, muscima_pp = Path(out), Path(work), Path(muscima_pp)
    reuse_from = [Path(f) for f in reuse_from]
    _check_inputs(config, reuse_from)
    dev = resolve_device(device)
    # the cheap checks first: a bad gold row must not cost an hour of rendering and training
    log(f"rendering the gold staves of {config.gold} from MUSCIMA++")
    muscima = load_muscima_pp(muscima_pp)
    gold = GoldSet(*load_gold_staves(config.gold, muscima))
    val = GoldSet(*load_gold_staves(config.val_gold, muscima)) if config.val_gold else None
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
                recognizer = _train(config, ratio, seed, key, staves.of_ratio(ratio), codec, dev, out, progress, log,
                                    code["git_commit"])
            runs.append(_score(recognizer, gold, ratio, seed, config.beam_width, log, val))
    results = _results(config, dev, gold, val, staves.described(), runs, code)
    _write_results(out, results)
    return results
