"""``ganmash train | sample | evaluate``: thin click front of ``gan``. User errors end as one line, no traceback."""
from __future__ import annotations

import json
from pathlib import Path

import click

from gan.config import PRECISIONS, PRESETS
from ganwriting_mashcima.errors import one_line_errors, refuse_existing
from ganwriting_mashcima.options import SeedRange, device_option


@click.command()
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Glyph-set folder to train on (from `ganmash data extract`).")
@click.option("--out", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run folder: config.json, checkpoints/, latest.pt, samples/, metrics.jsonl.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="cpu", show_default=True,
              help="Starting config; the options below override it. Ignored with --resume (the run's config is used).")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Total epochs to reach. [default: preset's]")
@click.option("--start-epoch", type=click.IntRange(min=0), default=None,
              help="Continue from RUN/checkpoints/epoch_N.pt. [default: start afresh]")
@click.option("--resume", is_flag=True, help="Continue from RUN/latest.pt.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Glyphs per step. [default: preset's]")
@click.option("--lr-gen", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Generator (and style encoder) learning rate. [default: preset's]")
@click.option("--lr-dis", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Discriminator learning rate. [default: preset's]")
@click.option("--lr-rec", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Recognizer learning rate. [default: preset's]")
@click.option("--lr-wid", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Writer identifier learning rate, in its pretraining too. [default: preset's]")
@click.option("--w-rec", type=click.FloatRange(min=0), default=None,
              help="Weight of the recogniser loss on generated glyphs (0 = none). [default: preset's]")
@click.option("--w-wid", type=click.FloatRange(min=0), default=None,
              help="Weight of the writer-identifier loss on generated glyphs (0 = none). [default: preset's]")
@click.option("--w-ms", type=click.FloatRange(min=0), default=None,
              help="Weight of the mode-seeking loss (0 = none). [default: preset's]")
@click.option("--class-balance", type=click.FloatRange(0, 1), default=None,
              help="How often each class is drawn: a glyph's weight is count(class)^(b-1), so 0 = every class equally "
                   "often, 0.5 = square-root balance, 1 = as in the data. [default: preset's]")
@click.option("--channels", type=click.IntRange(min=1), default=None,
              help="Generator width (each stage's channels scale with it; the discriminator follows unless its "
                   "preset sets its own). [default: preset's]")
@click.option("--gamma", type=click.FloatRange(min=0), default=None,
              help="Gradient-penalty weight: R1 gamma (lambda for GP). [default: preset's]")
@click.option("--augment/--no-augment", default=None,
              help="DiffAugment (translation, cutout) on what the discriminator sees. [default: preset's]")
@click.option("--pixel-noise/--no-pixel-noise", default=None,
              help="Per-pixel noise maps into every generator convolution, strength learned (StyleGAN). "
                   "[default: preset's]")
@click.option("--val-writers", default=None,
              help="Comma-separated training writers kept out of training to choose on, or 'none'. "
                   "[default: preset's]")
@click.option("--save-every", type=click.IntRange(min=1), default=None,
              help="Keep checkpoints/epoch_N.pt every N epochs (latest.pt is written every epoch). [default: preset's]")
@click.option("--eval-every", type=click.IntRange(min=0), default=None,
              help="Measure on the validation writers every N epochs (into metrics.jsonl; 0 = never). "
                   "[default: preset's]")
@click.option("--precision", type=click.Choice(PRECISIONS), default=None,
              help="Forward passes in fp32 or under bf16 autocast (losses and optimiser steps stay fp32); auto = bf16 "
                   "where the CPU (AVX-512 BF16, AMX) or GPU has it natively. What it resolved to is recorded in "
                   "the checkpoints. [default: preset's: fp32, gpu: auto]")
@device_option
@click.option("--seed", type=SeedRange, default=None, help="Seed of initialisation, data order and noise. [default: preset's]")
@click.option("--overwrite", is_flag=True, help="Replace the run already in --out.")
@one_line_errors
def train(data_dir: Path, run_dir: Path, preset: str, epochs: int | None, start_epoch: int | None, resume: bool,
          batch_size: int | None, lr_gen: float | None, lr_dis: float | None, lr_rec: float | None,
          lr_wid: float | None, w_rec: float | None, w_wid: float | None, w_ms: float | None,
          class_balance: float | None, channels: int | None, gamma: float | None, augment: bool | None, pixel_noise: bool | None, val_writers: str | None, save_every: int | None, eval_every: int | None,
          precision: str | None, device: str, seed: int | None, overwrite: bool) -> None:
    """Train the writer-style glyph GAN.

    \b
    Examples:
      ganmash train --data data/glyphs-64 --out runs/smoke --preset cpu-smoke
      ganmash train --data data/glyphs-64 --out runs/cpu --preset cpu
      ganmash train --data data/glyphs-64 --out runs/cpu-long --preset cpu-long
      ganmash train --data data/glyphs-64 --out runs/no-rec --preset cpu --w-rec 0 --val-writers 4,11,21
      ganmash train --data data/glyphs-64 --out runs/noise --preset cpu --pixel-noise
      ganmash train --data data/glyphs-64 --out runs/even --preset cpu --class-balance 0 --gamma 10
      ganmash train --data data/glyphs-64 --out runs/cpu --resume --epochs 20
      ganmash train --data data/glyphs-64 --out runs/gpu --preset gpu
    """
    from gan.training import resolve_config, train as run_training

    if resume and start_epoch is not None:
        raise click.UsageError("give --resume or --start-epoch, not both")
    resuming = resume or start_epoch is not None
    config = resolve_config(preset, dict(epochs=epochs, batch_size=batch_size, lr_gen=lr_gen, lr_dis=lr_dis,
                                         lr_rec=lr_rec, lr_wid=lr_wid, w_rec=w_rec, w_wid=w_wid, w_ms=w_ms,
                                         class_balance=class_balance, channels=channels,
                                         penalty_weight=gamma, augment=augment, pixel_noise=pixel_noise,
                                         val_writers=_writer_list(val_writers),
                                         save_every=save_every, eval_every=eval_every, precision=precision,
                                         seed=seed),
                            run_dir, resuming)
    metrics = run_training(config, data_dir, run_dir, device=device, resume=resume,
                           start_epoch=start_epoch, overwrite=overwrite, log=click.echo)
    if metrics.get("interrupted"):
        raise SystemExit(130)
    from gan.distributed import DistContext

    if DistContext.from_environment().is_main:  # under torchrun, once
        click.echo(f"done: {run_dir / 'latest.pt'}")


def _writer_list(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    if text.strip().lower() == "none":
        return ()
    try:
        return tuple(int(w) for w in text.replace(",", " ").split())
    except ValueError:
        raise click.BadParameter(f"expected writer numbers like 4,11,21 or 'none', got {text!r}",
                                 param_hint="--val-writers") from None


def _load_style_images(paths: tuple[Path, ...], size: int) -> "np.ndarray":
    """Glyph images (dark ink on light paper, any size) -> (k, S, S) uint8, 255 = ink, as in glyph sets."""
    import cv2
    import numpy as np

    out = []
    for p in paths:
        img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise FileNotFoundError(f"cannot read image {p}")
        out.append(255 - cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA))
    return np.stack(out)


@click.command()
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Checkpoint (RUN/latest.pt, RUN/checkpoints/epoch_N.pt or an export). [default: the packaged one]")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="PNG grid to write.")
@click.option("--classes", default=None, help="Comma-separated class names. [default: all of the checkpoint's]")
@click.option("--per-class", type=click.IntRange(1, 100), default=8, show_default=True, help="Glyphs per class (columns).")
@click.option("--writer", type=int, default=None,
              help="Training writer whose style to draw in. [default: a random writer per glyph]")
@click.option("--style-from", type=click.Path(dir_okay=False, exists=True, path_type=Path), multiple=True,
              help="Glyph image(s) of one writer to take the style from (repeat the option). [default: none]")
@device_option
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Same seed, same glyphs.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
@one_line_errors
def sample(checkpoint: Path | None, out: Path, classes: str | None, per_class: int, writer: int | None,
           style_from: tuple[Path, ...], device: str, seed: int, overwrite: bool) -> None:
    """Draw a grid of generated glyphs: one row per class.

    \b
    Examples:
      ganmash sample --out grid.png                              # the packaged GAN
      ganmash sample --checkpoint runs/cpu/latest.pt --out grid.png
      ganmash sample --checkpoint runs/cpu/latest.pt --out sharps.png --classes sharp,flat --writer 7
      ganmash sample --checkpoint runs/cpu/latest.pt --out mine.png --style-from a.png --style-from b.png
    """
    from gan.checkpoint import load_generator
    from gan.grid import save_glyph_grid
    from gan import resolve_device

    if writer is not None and style_from:
        raise click.UsageError("give --writer or --style-from, not both")
    refuse_existing(out, overwrite)
    if checkpoint is None:
        from ganwriting_mashcima.provider import default_checkpoint

        checkpoint = default_checkpoint()
    sampler = load_generator(checkpoint, resolve_device(device))
    names = [c for c in classes.replace(",", " ").split() if c] if classes else list(sampler.classes)
    style = _load_style_images(style_from, sampler.image_size) if style_from else None
    images = sampler.sample(names, writer=writer, style_images=style, n=per_class, seed=seed)
    rows = [(name, images[i * per_class:(i + 1) * per_class]) for i, name in enumerate(names)]
    who = f"writer {writer}" if writer is not None else ("style from images" if style_from else "random writers")
    save_glyph_grid(rows, out, title=f"{checkpoint.name}: {who}, seed {seed}")
    click.echo(f"wrote {out}")


@click.command()
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Checkpoint to measure.")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The training glyph set (the real-data classifiers are trained on it and cached there).")
@click.option("--split", type=click.Choice(["val", "test"]), default="test", show_default=True,
              help="Held-out writers to measure against: val = the checkpoint's validation writers (in --data; "
                   "choose recipes and checkpoints on these), test = the evaluation writers in --eval-data "
                   "(report only).")
@click.option("--eval-data", "eval_data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Glyph set of the evaluation writers (needed for --split test). [default: none]")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="JSON report to write.")
@click.option("--n-generated", type=click.IntRange(min=10), default=4000, show_default=True,
              help="Glyphs to generate for the measures.")
@click.option("--classifier-steps", type=click.IntRange(min=1), default=1500, show_default=True,
              help="Training steps of each measuring classifier.")
@device_option
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Seed of draws, generation and classifiers.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
@one_line_errors
def evaluate(checkpoint: Path, data_dir: Path, split: str, eval_data_dir: Path | None, out: Path, n_generated: int,
             classifier_steps: int, device: str, seed: int, overwrite: bool) -> None:
    """Measure a checkpoint: GAN-test, GAN-train, FID/KID, k-NN precision/recall and diversity per class, style of
    training and of unseen writers (see gan/evaluation.py), each next to its real-vs-real reference.

    \b
    Examples:
      ganmash evaluate --checkpoint runs/cpu/latest.pt --data data/glyphs-64 --split val --out runs/cpu/eval_val.json
      ganmash evaluate --checkpoint runs/cpu/latest.pt --data data/glyphs-64 \\
                       --eval-data data/glyphs-64-eval --out runs/cpu/eval_test.json
    """
    from gan.evaluation import EvalSettings, evaluate as run_evaluation, summary
    from gan.files import atomic_write_json

    if split == "test" and eval_data_dir is None:
        raise click.UsageError("--split test needs --eval-data (the evaluation writers' glyph set)")
    refuse_existing(out, overwrite)
    settings = EvalSettings(n_generated=n_generated, classifier_steps=classifier_steps, seed=seed)
    report = run_evaluation(checkpoint, data_dir, eval_data_dir, device=device, settings=settings, split=split)
    atomic_write_json(out, report)
    click.echo(json.dumps(summary(report)))


@click.command("export-sampler")
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A training checkpoint (RUN/latest.pt or RUN/checkpoints/epoch_NNNN.pt).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
@one_line_errors
def export_sampler_cmd(checkpoint: Path, out: Path, overwrite: bool) -> None:
    """Write the sampling part of a checkpoint (EMA generator + style bank): a few MB, not resumable.

    \b
    Example:
      ganmash export-sampler --checkpoint runs/cpu/latest.pt --out glyph-gan.pt
    """
    from gan import export_sampler

    refuse_existing(out, overwrite)
    path = export_sampler(checkpoint, out)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
