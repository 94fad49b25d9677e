"""The training job: the run folder (refusals before anything is removed, resume, metrics, checkpoints, sample
grids, validation measures) around a ``gan.trainer.Trainer``, which holds the optimisation state. Under torchrun
every rank runs it and rank 0 alone writes the run's files.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from gan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from gan.config import PRESETS, ConfigError, TrainConfig
from gan.device import resolve_device
from gan.distributed import DistContext
from gan.files import append_jsonl, atomic_write_bytes, atomic_write_json
from gan.glyphset import GlyphSet, GlyphSetError
from gan.networks import check_image_size
from gan.run_folder import RunFolderError, clear_run, run_metrics, saved_epochs
from gan.trainer import Trainer


def resolve_config(preset: str, overrides: dict[str, Any], run_dir: str | os.PathLike | None = None,
                   resuming: bool = False) -> TrainConfig:
    """The job's config: the preset (or, when resuming, the run's saved config) with the given fields replaced."""
    if resuming and run_dir is not None and (Path(run_dir) / "config.json").is_file():
        base = _saved_config(Path(run_dir) / "config.json")
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise ConfigError(f"unknown preset {preset!r}; presets: {', '.join(PRESETS)}")
    return base.replace(**overrides)


def _saved_config(path: Path) -> TrainConfig:
    try:
        return TrainConfig.from_dict(json.loads(path.read_text()))
    except ConfigError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as e:  # torn, not JSON, or not a config
        raise RunFolderError(f"{path} is damaged ({type(e).__name__}); cannot resume this run (train it again "
                             "with --overwrite)") from None


# -- the job ------------------------------------------------------------------------------------------------------
def validate(checkpoint: Path, data_dir: str | os.PathLike, device: torch.device) -> dict[str, Any]:
    """The training log's measures on the validation writers: ``evaluate``'s headline figures without GAN-train
    (its two classifiers would cost minutes per epoch)."""
    from gan.evaluation import EvalSettings, evaluate, summary

    with torch.random.fork_rng(devices=[]):
        report = evaluate(checkpoint, data_dir, device=str(device), split="val",
                          settings=EvalSettings(n_generated=2000, gan_train=False))
    return summary(report)


def _check_run_dir(run_dir: Path, resuming: bool, overwrite: bool) -> None:
    """Refuse a run folder the job may not use. Writes nothing: every check of the job comes before
    ``clear_run`` removes an old run."""
    if run_dir.exists() and not run_dir.is_dir():
        raise NotADirectoryError(f"{run_dir} exists and is not a folder")
    if resuming:
        if not run_dir.is_dir():
            raise FileNotFoundError(f"run folder {run_dir} does not exist; nothing to resume")
        return
    if run_dir.is_dir() and any(run_dir.iterdir()) and not overwrite:
        raise FileExistsError(f"{run_dir} holds another run; pass --resume to continue it or --overwrite "
                              "to replace it")


def _checkpoint_to_resume(run_dir: Path, start_epoch: int | None) -> Path:
    ck_dir = run_dir / "checkpoints"
    if start_epoch is None:
        if not (run_dir / "latest.pt").is_file():
            raise CheckpointError(f"{run_dir} has no latest.pt to resume from")
        return run_dir / "latest.pt"
    path = ck_dir / f"epoch_{start_epoch:04d}.pt"
    if not path.is_file():
        raise CheckpointError(f"no checkpoint for epoch {start_epoch} in {ck_dir}; available epochs: "
                              f"{', '.join(map(str, saved_epochs(run_dir))) or 'none'}")
    return path


def _forget_metrics_after(path: Path, records: list[dict[str, Any]]) -> None:
    """Going back to an earlier checkpoint (or past a torn last line): keep only ``records``."""
    if path.is_file():
        atomic_write_bytes(path, "".join(json.dumps(r) + "\n" for r in records).encode())


def _open_run(config: TrainConfig, data_dir: str | os.PathLike, run_dir: Path, dev: torch.device, resuming: bool,
              start_epoch: int | None, overwrite: bool, log: Callable[[str], None], ranks: DistContext) -> Trainer:
    """The trainer of the run, resumed or new; every check that can refuse the job runs, on every rank, before
    rank 0 removes or writes anything in ``run_dir``."""
    glyphs = GlyphSet.load(data_dir)
    try:
        check_image_size(glyphs.image_size)
    except ValueError:
        raise GlyphSetError(f"{data_dir} holds {glyphs.image_size} px glyphs; the GAN needs a power of two >= 8 "
                            "(extract with --size 32, 64 or 128)") from None
    _check_run_dir(run_dir, resuming, overwrite)
    trainer = Trainer(config, glyphs, dev, ranks)  # refuses a config this data cannot train (e.g. no writer left)
    if resuming:  # every rank from the same checkpoint
        path = _checkpoint_to_resume(run_dir, start_epoch)
        trainer.load_state_dict(load_checkpoint(path, map_location=dev), str(path))
        kept_metrics = [r for r in run_metrics(run_dir) if r.get("epoch", 0) <= trainer.epoch]
    ranks.barrier()  # every rank has checked and read what it needs: from here on rank 0 may change run_dir
    if not ranks.is_main:
        return trainer
    if resuming:
        log(f"resumed from {path} (epoch {trainer.epoch}, step {trainer.step_in_epoch})")
        _forget_metrics_after(run_dir / "metrics.jsonl", kept_metrics)
    else:
        clear_run(run_dir)  # only now, when nothing is left to refuse the job
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / "config.json", config.to_dict())
    if config.precision == "auto":
        log(f"precision auto: {trainer.precision} on this {dev.type}")
    if ranks.distributed:
        log(f"{ranks.world_size} processes, {config.batch_size // ranks.world_size} glyphs each per step "
            f"(batch {config.batch_size})")
    if config.eval_every and not config.val_writers:
        log(f"note: eval_every={config.eval_every} but the config keeps no validation writers; evaluation is skipped")
    if trainer.epoch >= config.epochs:
        log(f"{run_dir} is already at epoch {trainer.epoch} of {config.epochs}; raise --epochs to train on")
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    (run_dir / "samples").mkdir(exist_ok=True)
    return trainer


@contextlib.contextmanager
def _ctrl_c_finishes_the_step(trainer: Trainer, log: Callable[[str], None]) -> Iterator[None]:
    """While training: a first Ctrl-C asks the trainer to stop after its step (and save), a second aborts."""
    def on_sigint(signum, frame):
        if trainer.stop_requested:  # second Ctrl-C: stop now
            raise KeyboardInterrupt
        trainer.stop_requested = True
        log("\nCtrl-C: finishing this step, saving latest.pt (Ctrl-C again to abort)")

    in_main = threading.current_thread() is threading.main_thread()  # signals reach the main thread only
    old_handler = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    try:
        yield
    finally:
        if in_main:
            signal.signal(signal.SIGINT, old_handler)


def _save_latest(trainer: Trainer, run_dir: Path) -> dict[str, Any]:
    """``latest.pt``, written by rank 0; every rank makes the state (it gathers their noise streams)."""
    state = trainer.state_dict()
    if trainer.dist.is_main:
        save_checkpoint(run_dir / "latest.pt", state)
    return state


def _pretrain(trainer: Trainer, run_dir: Path, progress: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """The writer identifier's pretraining (epoch 0), saved; ``interrupted`` set when Ctrl-C stopped it."""
    metrics = trainer.pretrain_writer_identifier(progress)
    _save_latest(trainer, run_dir)
    if trainer.stop_requested:
        log(f"saved {run_dir / 'latest.pt'} at writer-identifier step {trainer.wid_step}; continue with --resume")
        return {**metrics, "interrupted": True}
    if trainer.dist.is_main:
        append_jsonl(run_dir / "metrics.jsonl", metrics)
    log(f"writer identifier pretrained: {metrics['wid_steps']} steps, loss {metrics['w']}, {metrics['seconds']} s")
    return metrics


def _save_epoch(trainer: Trainer, metrics: dict[str, Any], run_dir: Path, data_dir: str | os.PathLike,
                dev: torch.device, log: Callable[[str], None]) -> None:
    """After a completed epoch: its checkpoints, sample grid, validation measures (when due) and metrics line,
    written by rank 0."""
    config, e = trainer.config, trainer.epoch
    state = _save_latest(trainer, run_dir)
    if not trainer.dist.is_main:
        return
    if e % config.save_every == 0 or e == config.epochs:
        save_checkpoint(run_dir / "checkpoints" / f"epoch_{e:04d}.pt", state)
    trainer.save_samples(run_dir / "samples" / f"epoch_{e:04d}.png")
    if config.eval_every and e % config.eval_every == 0 and config.val_writers:
        metrics["eval"] = validate(run_dir / "latest.pt", data_dir, dev)
        log(f"epoch {e} validation: " + json.dumps(metrics["eval"]))
    append_jsonl(run_dir / "metrics.jsonl", metrics)
    log(f"epoch {e}/{config.epochs}: " + ", ".join(f"{k} {v}" for k, v in metrics.items() if k not in ("epoch", "eval")))


def _run_epochs(trainer: Trainer, run_dir: Path, data_dir: str | os.PathLike, dev: torch.device, progress: bool,
                log: Callable[[str], None]) -> dict[str, Any]:
    """Pretraining (when not done) and the epochs left; the last epoch's metrics."""
    config = trainer.config
    metrics: dict[str, Any] = {"epoch": trainer.epoch}
    with _ctrl_c_finishes_the_step(trainer, log):
        try:
            if trainer.epoch == 0 and trainer.step_in_epoch == 0 and trainer.wid_step < config.wid_pretrain_steps:
                metrics = _pretrain(trainer, run_dir, progress, log)
                if metrics.get("interrupted"):
                    return metrics
            while trainer.epoch < config.epochs:
                metrics = trainer.train_epoch(progress)
                if trainer.stop_requested:
                    _save_latest(trainer, run_dir)
                    metrics["interrupted"] = True
                    log(f"saved {run_dir / 'latest.pt'} at epoch {trainer.epoch} step {trainer.step_in_epoch}; "
                        "continue with --resume")
                    break
                _save_epoch(trainer, metrics, run_dir, data_dir, dev, log)
            trainer.dist.barrier()  # no rank returns before rank 0 has written the last files
        except KeyboardInterrupt:
            log(f"aborted; {run_dir / 'latest.pt'} holds the last completed epoch")
            metrics["interrupted"] = True
    return metrics


def train(config: TrainConfig, data_dir: str | os.PathLike, run_dir: str | os.PathLike, *,
          device: str = "auto", resume: bool = False,
          start_epoch: int | None = None, overwrite: bool = False, progress: bool = True,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train (or continue) a run in ``run_dir``; returns the last epoch's metrics (``interrupted`` set on Ctrl-C).

    ``resume`` continues from ``RUN/latest.pt``; ``start_epoch`` from ``RUN/checkpoints/epoch_NNNN.pt``. Under
    torchrun every process runs this; rank 0 alone shows progress and logs.
    """
    run_dir = Path(run_dir)
    ranks = DistContext.from_environment()  # one process unless torchrun started several
    dev = ranks.device(resolve_device(device))
    if not ranks.is_main:
        progress, log = False, lambda message: None
    with ranks.process_group(dev):
        trainer = _open_run(config, data_dir, run_dir, dev, resume or start_epoch is not None, start_epoch,
                            overwrite, log, ranks)
        return _run_epochs(trainer, run_dir, data_dir, dev, progress, log)
