"""The one checkpoint format, and sampling from it.

A checkpoint is a dict of plain tensors, numbers, strings, lists and dicts, read with
``torch.load(weights_only=True)`` so that opening one never runs code from the file:

  format, version       "ganmash-gan-checkpoint", 3 (2: the style encoder reads W's frozen, batch-normed trunk;
                        3: class-centred style features, writer_features instead of reference glyphs)
  config                TrainConfig as a dict
  classes, writers      class names; CVC-MUSCIMA writer numbers in WriterIdentifier's order
  image_size            S
  epoch, step           epochs completed; steps done in the next epoch (non-zero only after Ctrl-C)
  networks              {G, G_ema, D, R, W}: state dicts
  optimizers            {G, D, R}: state dicts
  rng                   torch, numpy, python, trainer (noise) generator states, as tensors; under torchrun also
                        trainer_ranks, every rank's noise state in rank order (trainer is rank 0's)
  writer_features       (n_writers, C4) float: each training writer's mean style feature over its glyphs; the
                        style code of writer w is G's projection of row w. Numbers, not glyph images: a checkpoint
                        carries no image of the data it was trained on
  provenance            {data_fingerprint, git_commit, torch, numpy, precision, processes}: what made it
                        (precision: fp32 or bf16, what the training forward passes ran in, resolved from the
                        config's auto; processes: how many trained together under torchrun)
  sampling_only         True in an ``export_sampler`` file: networks holds G_ema alone, no optimizers or RNG
                        state; it samples like the full checkpoint but cannot be resumed
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from gan.config import ConfigError, TrainConfig
from gan.files import atomic_write
from gan.networks import GlyphGenerator
from gan.precision import autocast, resolve_precision

FORMAT_NAME = "ganmash-gan-checkpoint"
FORMAT_VERSION = 3
REQUIRED_KEYS = ("config", "classes", "writers", "image_size", "epoch", "step", "networks", "optimizers", "rng",
                 "writer_features")


class CheckpointError(ValueError):
    """A file that is not a usable ganmash checkpoint (one-line message)."""


def save_checkpoint(path: str | os.PathLike, checkpoint: dict[str, Any]) -> Path:
    """Write atomically: a crash mid-save leaves the previous file intact."""
    return atomic_write(path, lambda f: torch.save({"format": FORMAT_NAME, "version": FORMAT_VERSION, **checkpoint}, f))


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        ck = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated zip, pickle of foreign objects, random bytes: all the same to the user
        raise CheckpointError(f"{path} is not a readable ganmash checkpoint ({type(e).__name__}; "
                              "truncated or foreign file?)") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path} is not a ganmash GAN checkpoint (format {FORMAT_NAME!r} expected)")
    if ck.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} has checkpoint version {ck.get('version')}, "
                              f"this ganmash reads version {FORMAT_VERSION}; train a new run, or sample with the "
                              "ganmash that wrote it")
    missing = [k for k in REQUIRED_KEYS if k not in ck]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}; it is damaged")
    return ck


def export_sampler(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Write the part of checkpoint ``src`` that sampling needs (EMA generator, style bank, metadata).

    A few MB instead of tens: what ships with the package and what a user hands to the Mashcima provider.
    """
    ck = load_checkpoint(src)
    keep = {k: ck[k] for k in (*REQUIRED_KEYS, "provenance") if k in ck and k not in ("networks", "optimizers", "rng")}
    return save_checkpoint(dst, {**keep, "networks": {"G_ema": ck["networks"]["G_ema"]}, "optimizers": {},
                                 "rng": {}, "sampling_only": True})


def build_generator(config: TrainConfig, n_classes: int, image_size: int) -> GlyphGenerator:
    return GlyphGenerator(n_classes, image_size, config.channels, config.style_dim, config.z_dim, config.class_dim,
                          config.mapping_layers, config.pixel_noise)


def glyphs_to_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 255 = ink, or float in [0, 1] with 1 = ink -> float in [-1, 1] with +1 = ink."""
    t = torch.as_tensor(np.asarray(images)) if not isinstance(images, torch.Tensor) else images
    return t.float() / 127.5 - 1 if t.dtype == torch.uint8 else t.float() * 2 - 1


# Rows per forward pass on a CPU: per glyph, 2 cores are fastest at a few dozen rows (measured: batch 256 is
# slower per glyph than 32), so larger requests are cut into passes of at most this many.
CPU_PASS_ROWS = 32


class GlyphSampler:
    """Draws glyphs from a trained generator (the EMA weights). Made by ``load_generator``.

    ``precision`` is ``fp32`` or ``bf16`` (autocast; see ``gan.precision``): the forward passes run in it.
    """

    def __init__(self, generator: GlyphGenerator, classes: Sequence[str], writers: Sequence[int],
                 writer_features: torch.Tensor, device: torch.device, precision: str = "fp32") -> None:
        self.generator = generator.to(device).eval().requires_grad_(False)
        self.classes: tuple[str, ...] = tuple(classes)
        self.writers: tuple[int, ...] = tuple(int(w) for w in writers)
        self.device = device
        self.precision = resolve_precision(precision, device)
        self._class_index = {c: i for i, c in enumerate(self.classes)}
        with torch.inference_mode():
            # Style code per training writer, computed once: sampling needs no data folder.
            self._writer_styles = self.generator.style_encoder.project(writer_features.float().to(device))  # (W, D)

    @property
    def image_size(self) -> int:
        return self.generator.image_size

    @property
    def writer_styles(self) -> torch.Tensor:
        """(W, style_dim) style code of each training writer, in ``writers`` order."""
        return self._writer_styles

    def style_code(self, style_images: np.ndarray, style_classes: Sequence[str] | None = None) -> torch.Tensor:
        """Style code (1, style_dim) of glyphs (k, S, S) from one writer (uint8 255 = ink or float 1 = ink), with
        their class names if known (else each is taken for the class its features are nearest)."""
        style_images = np.asarray(style_images)
        s = self.image_size
        if style_images.ndim != 3 or style_images.shape[1:] != (s, s) or len(style_images) == 0:
            raise ConfigError(f"style images must be (k, {s}, {s}), got {style_images.shape}")
        labels = None
        if style_classes is not None:
            if len(style_classes) != len(style_images):
                raise ConfigError(f"{len(style_images)} style images but {len(style_classes)} class names")
            labels = torch.tensor(self.class_indices(style_classes), device=self.device)[None]
        with torch.inference_mode():
            return self.generator.style_encoder(glyphs_to_tensor(style_images)[None].to(self.device), labels)

    def class_indices(self, class_names: Sequence[str]) -> list[int]:
        unknown = sorted(set(class_names) - set(self._class_index))
        if unknown:
            raise ConfigError(f"unknown class(es) {', '.join(unknown)}; this checkpoint has: {', '.join(self.classes)}")
        return [self._class_index[c] for c in class_names]

    def sample(self, class_names: Sequence[str], writer: int | None = None, style_images: np.ndarray | None = None,
               n: int = 1, seed: int | None = None, generator: torch.Generator | None = None,
               batch_size: int = 512, style_classes: Sequence[str] | None = None) -> np.ndarray:
        """``n`` glyphs of each class in ``class_names`` (class-major order): (len(class_names) * n, S, S) float32
        in [0, 1], 1 = ink.

        Style: ``style_images`` (k, S, S) of one writer (``style_classes``: their classes, when known), else
        training writer ``writer``, else a random training writer per glyph. Same ``seed`` (or generator state)
        -> same glyphs.
        """
        if writer is not None and style_images is not None:
            raise ConfigError("give a writer or style images, not both")
        if generator is None:
            generator = torch.Generator().manual_seed(seed if seed is not None else secrets.randbits(63))
        labels = torch.tensor(self.class_indices(class_names), dtype=torch.long).repeat_interleave(n)  # (N,)
        total = len(labels)
        # All randomness is drawn on the CPU up front, so results do not depend on the device or batch size.
        z = torch.randn(total, self.generator.latent_dim, generator=generator)
        if style_images is not None:
            style = self.style_code(style_images, style_classes).expand(total, -1)
        elif writer is not None:
            style = self._writer_style(writer).expand(total, -1)
        else:
            style = self._writer_styles[torch.randint(len(self.writers), (total,), generator=generator).to(self.device)]
        out = np.empty((total, self.image_size, self.image_size), np.float32)
        for i in range(0, total, batch_size):
            sl = slice(i, i + batch_size)
            out[sl] = self._synthesize(style[sl], labels[sl], z[sl])
        return out

    def sample_each(self, requests: Sequence[tuple[str, int, int]], n: int, batch_requests: int = 1) -> np.ndarray:
        """``n`` glyphs for each ``(class, writer, seed)`` request: (len(requests), n, S, S) float32, 1 = ink.

        Each request draws its noise from its own generator, and every forward pass has the same shape
        (``batch_requests`` requests, the last pass padded), so a request's glyphs depend neither on the other
        requests nor on its place among them. They may differ in the last float bit between ``batch_requests``
        values (the CPU kernels sum in another order); ``batch_requests=1`` is exactly
        ``sample([class], writer=writer, n=n, seed=seed)``. Larger batches pay off on a GPU (one launch for
        many requests), not on a CPU (measured slower per glyph beyond a few dozen).
        """
        if batch_requests < 1:
            raise ConfigError(f"batch_requests must be at least 1, got {batch_requests}")
        labels = torch.tensor(self.class_indices([c for c, _, _ in requests]), dtype=torch.long).repeat_interleave(n)
        z = torch.cat([torch.randn(n, self.generator.latent_dim, generator=torch.Generator().manual_seed(int(seed)))
                       for _, _, seed in requests]) if requests else torch.zeros(0, self.generator.latent_dim)
        style = torch.cat([self._writer_style(w).expand(n, -1) for _, w, _ in requests]) if requests else None
        out = np.empty((len(requests) * n, self.image_size, self.image_size), np.float32)
        rows = batch_requests * n
        for i in range(0, len(out), rows):
            real = min(rows, len(out) - i)
            # the last pass is padded with copies of its first row, so every pass has the same shape
            pad = lambda t: torch.cat([t[i:i + real], t[i:i + 1].expand(rows - real, *t.shape[1:])])  # noqa: E731
            out[i:i + real] = self._synthesize(pad(style), pad(labels), pad(z))[:real]
        return out.reshape(len(requests), n, self.image_size, self.image_size)

    def sample_rows(self, class_names: Sequence[str], styles: torch.Tensor, seed: int,
                    pass_rows: int | None = None) -> np.ndarray:
        """One glyph per row: class ``class_names[i]`` in style code ``styles[i]`` ((N, style_dim), e.g. from
        ``writer_style``, ``style_code`` or ``gan.styles``), noise from ``seed``: (N, S, S) float32, 1 = ink.

        The rows are cut into passes of near-equal size, at most ``pass_rows`` each (default: ``CPU_PASS_ROWS`` on a
        CPU, all rows at once on a GPU). The same rows, seed and pass size give the same glyphs.
        """
        if len(class_names) != len(styles):
            raise ConfigError(f"{len(class_names)} class names but {len(styles)} style codes")
        labels = torch.tensor(self.class_indices(class_names), dtype=torch.long)  # (N,)
        z = torch.randn(len(labels), self.generator.latent_dim, generator=torch.Generator().manual_seed(int(seed)))
        out = np.empty((len(labels), self.image_size, self.image_size), np.float32)
        if not len(labels):
            return out
        limit = pass_rows or (CPU_PASS_ROWS if self.device.type == "cpu" else len(labels))
        passes = -(-len(labels) // limit)
        bounds = np.linspace(0, len(labels), passes + 1).round().astype(int)
        styles = styles.to(self.device)
        for a, b in zip(bounds[:-1], bounds[1:]):
            out[a:b] = self._synthesize(styles[a:b], labels[a:b], z[a:b])
        return out

    def writer_style(self, writer: int) -> torch.Tensor:
        """(style_dim,) style code of training writer ``writer``."""
        return self._writer_style(writer)

    def _writer_style(self, writer: int) -> torch.Tensor:
        if int(writer) not in self.writers:
            raise ConfigError(f"writer {writer} is not in this checkpoint; it has: {', '.join(map(str, self.writers))}")
        return self._writer_styles[self.writers.index(int(writer))]

    def _synthesize(self, style: torch.Tensor, labels: torch.Tensor, z: torch.Tensor) -> np.ndarray:
        """One forward pass: (B, S, S) float32 in [0, 1], 1 = ink."""
        with torch.inference_mode(), autocast(self.precision, self.device):
            x = self.generator.synthesize(style, labels.to(self.device), z.to(self.device))
            return ((x[:, 0].float() + 1) / 2).clamp(0, 1).cpu().numpy()


def load_generator(path: str | os.PathLike, device: str | torch.device = "cpu", precision: str = "fp32") -> GlyphSampler:
    """The EMA generator of checkpoint ``path``, ready to sample in ``precision`` (``auto``, ``fp32``, ``bf16``)."""
    device = torch.device(device)
    ck = load_checkpoint(path, map_location="cpu")
    try:
        config = TrainConfig.from_dict(ck["config"])
        g = build_generator(config, len(ck["classes"]), int(ck["image_size"]))
        g.load_state_dict(ck["networks"]["G_ema"])
    except (ConfigError, KeyError, RuntimeError, TypeError) as e:
        raise CheckpointError(f"{path}: cannot rebuild the generator ({type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''})") from None
    return GlyphSampler(g, ck["classes"], ck["writers"], ck["writer_features"], device, precision)
