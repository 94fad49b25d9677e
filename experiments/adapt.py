"""``ganmash adapt``: fine-tune a staff recogniser towards one writer's hand, given a few of that hand's glyphs.

The user crops ~16 symbols of the target hand into a folder (``symbol_sources.references``). Mashcima renders
``staves`` training staves whose generated glyphs (a ``ratio`` share of the draws, each a fresh GAN sample) are
in the style code of those crops, and the recogniser trains ``steps`` more steps on them with its own recipe (same
vocabulary, Adam with a one-cycle schedule at its learning rate, seeded). The crops are GAN inputs only, never
labels: the labels are the annotations the staves are rendered from. At ratio 0 no glyph is generated and no
crops are needed: the same fine-tuning on plain Mashcima staves, the control an adaptation is measured against.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from experiments.staff_benchmark import StaffBenchConfig, checkpoint_content, read_staves
from experiments.staff_recognizer import (LoadedRecognizer, RecognizerError, RecognizerTraining, load_recognizer,
                                          save_recognizer, train_recognizer)
from gan import MAX_SEED, resolve_device


@dataclass(frozen=True)
class AdaptConfig:
    """What makes an adapted recogniser (the paths are read by content into its info)."""

    model: str  # the recogniser to start from
    style_from: str = ""  # folder of the target hand's glyph crops: needed at ratio > 0, refused at ratio 0
    steps: int = 500
    staves: int = 500
    ratio: float = 0.5  # share of glyph draws the GAN makes, in the hand of style_from
    seed: int = 0  # of the staves and of the fine-tuning
    annotations: str = ""  # one staff's annotation per line (cycled); "" = Mashcima's random annotations
    checkpoint: str = ""  # the GAN; "" = the packaged one
    precision: str = "fp32"  # the GAN's (fp32 or bf16, resolved)

    def __post_init__(self) -> None:
        for name in ("steps", "staves"):
            if getattr(self, name) < 1:
                raise RecognizerError(f"--{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.ratio <= 1.0:
            raise RecognizerError(f"--ratio must be in [0, 1], got {self.ratio}")
        if not 0 <= self.seed <= MAX_SEED:
            raise RecognizerError(f"--seed must be in 0..{MAX_SEED}, got {self.seed}")
        if self.precision not in ("fp32", "bf16"):
            raise RecognizerError(f"precision must be fp32 or bf16 (auto is resolved before), got {self.precision!r}")
        if self.ratio > 0 and not self.style_from:
            raise RecognizerError("--style-from (a folder of the hand's glyph crops) is needed at --ratio > 0; "
                                  "--ratio 0 is the control without it")
        if self.ratio == 0 and self.style_from:
            # a recorded hand that drew nothing would pass a control run off as an adaptation
            raise RecognizerError("--style-from has no effect at --ratio 0 (no glyph is generated); leave it out")


def adapt_recognizer(config: AdaptConfig, out: str | os.PathLike, muscima_pp: str | os.PathLike,
                     device: str = "auto", progress: bool = True, log: Callable[[str], None] = print,
                     real_repository: Any = None) -> dict[str, Any]:
    """Fine-tune ``config.model`` as the module docstring says and save it to ``out``; returns its info.

    Every input is checked before the minutes of rendering, and nothing but ``out`` is written (at the end, in one
    atomic write; the staves live in a temporary folder). ``real_repository``: an already built
    ``mashcima.SymbolRepository`` to draw real symbols from (default: built over all training writers).
    """
    base = load_recognizer(config.model)
    _check_inputs(config, base)
    dev = resolve_device(device)
    with tempfile.TemporaryDirectory(prefix="ganmash-adapt-") as tmp:
        log(f"rendering {config.staves} staves at ratio {config.ratio:g}")
        folder = _render(config, Path(tmp), muscima_pp, device, real_repository, progress)
        images, labels = read_staves(folder, base.settings.height, base.codec)
    training = base_recipe(base.info, config.steps)
    log(f"fine-tuning {config.model} on {len(images)} staves ({config.steps} steps)")
    losses: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    model = train_recognizer(images, labels, base.codec, base.settings, training, dev, config.seed, progress,
                             losses.append, start_from=base.model.state_dict())
    info = _info(config, base, training, labels, losses[-1]["loss"], time.perf_counter() - t0)
    save_recognizer(out, model, base.codec, base.settings, info)
    return info


def _check_inputs(config: AdaptConfig, base: LoadedRecognizer) -> None:
    """The cheap checks: the reference glyphs readable, the annotations within the recogniser's vocabulary."""
    from symbol_sources.references import read_reference_glyphs
    from symbol_sources.staves import read_annotations

    if config.style_from:
        read_reference_glyphs(config.style_from, base.settings.height)  # any size: only readability is checked
    if config.annotations:
        unknown = sorted({t for _, line in read_annotations(config.annotations) for t in base.codec.unknown(line.split())})
        if unknown:
            raise RecognizerError(f"{config.annotations} holds tokens outside the recogniser's vocabulary: "
                                  f"{', '.join(unknown)}")


def _render(config: AdaptConfig, folder: Path, muscima_pp: str | os.PathLike, device: str, real_repository: Any,
            progress: bool) -> Path:
    """The training staves, fresh glyphs in the references' hand (plain Mashcima's at ratio 0), in ``folder``."""
    from symbol_sources.mashcima_provider import open_mixed_repository
    from symbol_sources.pretrained import default_checkpoint
    from symbol_sources.references import references_sha256
    from symbol_sources.staves import StaffJob, synthesize_staves

    checkpoint = config.checkpoint or str(default_checkpoint())
    style_from = config.style_from or None
    job = StaffJob(count=config.staves, ratio=config.ratio, seed=config.seed, mode="training", checkpoint=checkpoint,
                   checkpoint_sha256=checkpoint_content(checkpoint), annotations=config.annotations or None,
                   precision=config.precision, style_from=style_from,
                   style_from_sha256=references_sha256(style_from) if style_from else "")
    staves = folder / "staves"
    synthesize_staves(None, job, staves, progress=progress, repo_factory=lambda: open_mixed_repository(
        checkpoint, muscima_pp, ratio=config.ratio, device=device, seed=config.seed, real=real_repository,
        precision=config.precision, style_from=style_from))
    return staves


def base_recipe(info: dict[str, Any], steps: int) -> RecognizerTraining:
    """``steps`` of the recipe the recogniser was trained with, as its info records it (an adapted one's
    ``training``, a benchmark's ``config``); the benchmark's defaults where it records none."""
    recorded = info.get("training") or info.get("config") or {}
    default = StaffBenchConfig()
    return RecognizerTraining(steps=steps, batch_size=int(recorded.get("batch_size", default.batch_size)),
                              lr=float(recorded.get("lr", default.lr)),
                              width_jitter=float(recorded.get("width_jitter", default.width_jitter)))


def _info(config: AdaptConfig, base: LoadedRecognizer, training: RecognizerTraining, labels: list[list[int]],
          final_loss: float, seconds: float) -> dict[str, Any]:
    """What made the adapted recogniser, by content: the base, the references, the GAN, the annotations."""
    from symbol_sources.pretrained import default_checkpoint
    from symbol_sources.references import references_sha256

    generated = config.ratio > 0
    info: dict[str, Any] = {
        "adapted_from": {"sha256": checkpoint_content(config.model), "training_key": base.info.get("training_key")},
        "style_from_sha256": references_sha256(config.style_from) if generated else None,
        "ratio": config.ratio, "steps": config.steps, "staves": config.staves, "seed": config.seed,
        "checkpoint_sha256": checkpoint_content(config.checkpoint or str(default_checkpoint())) if generated else None,
        "precision": config.precision if generated else None,
        "annotations_sha256": checkpoint_content(config.annotations) or None,
        "training": {k: v for k, v in asdict(training).items() if k != "steps"},
        "training_staves": len(labels), "final_loss": final_loss, "train_seconds": round(seconds, 1)}
    if base.info.get("trained_tokens") is not None:  # unknown for the base: unknown for the adapted one too
        trained = {base.codec.vocabulary[t - 1] for seq in labels for t in seq}
        info["trained_tokens"] = sorted(trained | set(base.info["trained_tokens"]))
    return info
