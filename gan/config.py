"""One frozen config per training job. Presets are the only place default numbers live."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, Mapping, TypeVar

Penalty = Literal["r1", "gp", "none"]

# Float precision of the networks' forward passes: see gan.precision (here so that configs load without torch).
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16")


# What numpy (SeedSequence: >= 0) and torch (manual_seed: < 2**64) both take, with room for small offsets.
MAX_SEED = 2**63 - 1


class ConfigError(ValueError):
    """A setting the user asked for that cannot work (one-line message)."""


Config = TypeVar("Config", bound="GivenReplace")


class GivenReplace:
    """For a frozen dataclass of settings that command-line flags override: an unset flag arrives as None."""

    def replace(self: Config, **overrides: Any) -> Config:
        """Copy with the given fields changed; ``None`` values mean "not given" and are ignored."""
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class TrainConfig(GivenReplace):
    preset: str = "cpu"
    # schedule
    epochs: int = 20
    glyphs_per_epoch: int = 8192  # an "epoch" is a fixed number of sampled glyphs, so presets cost the same on any set
    batch_size: int = 32
    save_every: int = 5
    eval_every: int = 0  # 0 = evaluate only when asked (needs eval data)
    seed: int = 0
    # Training writers kept out of training as a validation set: recipes, weights and checkpoints are chosen on
    # them, never on the evaluation writers (13, 17, 20, 34, 41, 49), which a glyph set for training lacks anyway.
    val_writers: tuple[int, ...] = ()
    # networks
    channels: int = 32  # width of the widest conv layer is 8x this (capped at 256)
    style_dim: int = 64
    z_dim: int = 32
    class_dim: int = 32
    k_refs: int = 8  # reference glyphs per style code
    mapping_layers: int = 2  # (style, class, noise) -> w
    d_channels: int = 0  # discriminator width as ``channels``; 0 = same as the generator's
    mbstd_group: int = 0  # minibatch-std group size in D (StyleGAN); 0 = none
    pixel_noise: bool = False  # per-pixel noise maps into every generator convolution (StyleGAN), strength learned
    # Each reference's writer features minus its class's mean, so a style code says how the writer draws, not
    # which classes the references happened to be (see StyleEncoder).
    style_centering: bool = True
    # optimisation
    lr_gen: float = 2e-4
    lr_dis: float = 2e-4
    lr_rec: float = 2e-4
    lr_wid: float = 1e-3  # the writer identifier learns details slowly; at lr_rec it was far from the measuring one
    # W's steps on real glyphs before the GAN starts (it then names 16 % of writers); its trunk then becomes the
    # style encoder's. 0 skips both: the encoder keeps a random frozen trunk (an ablation, not a preset).
    wid_pretrain_steps: int = 1500
    beta1: float = 0.0
    beta2: float = 0.99
    ema_beta: float = 0.999
    ema_start_step: int = 100  # copy G into the EMA verbatim until then, so early samples are not a blur of inits
    # losses
    w_adv: float = 1.0
    w_rec: float = 1.0
    w_wid: float = 1.0  # 0.5 before the style encoder read W's features; 1.0 measured better on every figure (README)
    w_code: float = 1.0  # style code -> writer classification loss on the style encoder (see WriterIdentifier)
    # Mode seeking (Mao et al., CVPR 2019): half the batch repeats the other half's class and references with new
    # noise, and G is penalised when two noises give the same glyph (1 / (glyph distance / noise distance)).
    w_ms: float = 0.0
    augment: bool = False  # DiffAugment (translation, cutout) on everything D sees, real and generated
    penalty: Penalty = "r1"
    penalty_weight: float = 1.0  # gamma for R1 (applied as gamma/2 * |grad|^2), lambda for GP
    penalty_every: int = 4  # lazy regularisation (StyleGAN2): penalise every n D steps, scaled by n
    class_balance: float = 0.5  # sampling weight per glyph = count(class)^(balance-1): 1 = as in the data, 0 = uniform
    # Forward passes of G, D, R and W under bf16 autocast, or fp32; auto = bf16 where the device has native bf16
    # (gan.precision). Losses, the gradient penalty and optimiser steps stay fp32. What a job resolved is recorded
    # in its checkpoints' provenance.
    precision: str = "fp32"

    def __post_init__(self) -> None:
        object.__setattr__(self, "val_writers", tuple(sorted(int(w) for w in self.val_writers)))
        for name in ("epochs", "glyphs_per_epoch", "batch_size", "channels", "style_dim", "z_dim", "class_dim",
                     "k_refs", "penalty_every", "mapping_layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("d_channels", "mbstd_group"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("lr_gen", "lr_dis", "lr_rec", "lr_wid", "w_adv", "w_rec", "w_wid", "w_code", "w_ms",
                     "penalty_weight", "ema_beta"):
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                raise ConfigError(f"{name} must be a finite number >= 0, got {v}")
        if not (math.isfinite(self.class_balance) and 0 <= self.class_balance <= 1):
            raise ConfigError(f"class_balance must be in 0..1 (0 = every class equally often, 1 = as in the data), "
                              f"got {self.class_balance}")
        if self.w_ms > 0 and self.batch_size < 2:
            raise ConfigError("mode seeking (w_ms > 0) needs batch_size >= 2")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be in 0..{MAX_SEED}, got {self.seed}")
        if self.wid_pretrain_steps < 0:
            raise ConfigError(f"wid_pretrain_steps must be >= 0, got {self.wid_pretrain_steps}")
        if self.penalty not in ("r1", "gp", "none"):
            raise ConfigError(f"penalty must be r1, gp or none, got {self.penalty!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.glyphs_per_epoch < self.batch_size:
            raise ConfigError(f"glyphs_per_epoch ({self.glyphs_per_epoch}) is smaller than batch_size ({self.batch_size})")

    @property
    def disc_channels(self) -> int:
        return self.d_channels or self.channels

    @property
    def steps_per_epoch(self) -> int:
        return self.glyphs_per_epoch // self.batch_size

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TrainConfig":
        d = dict(d)
        if "amp" in d:  # configs before the precision switch: amp = bf16 autocast where CUDA ran it, else fp32
            amp = d.pop("amp")
            d.setdefault("precision", "auto" if amp else "fp32")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown config fields: {', '.join(unknown)}")
        return cls(**d)


# Fields that shape the networks: a checkpoint can only be resumed with the same values.
ARCHITECTURE_FIELDS = ("channels", "style_dim", "z_dim", "class_dim", "mapping_layers", "d_channels", "mbstd_group",
                       "pixel_noise")

# Every seventh of the 44 training writers, from the fourth (a rule, not a choice on any result): 8,129 glyphs.
VALIDATION_WRITERS = (4, 11, 21, 28, 36, 44)

PRESETS: dict[str, TrainConfig] = {
    # Seconds on a laptop CPU: for tests and demos, not for glyphs anyone should look at.
    "cpu-smoke": TrainConfig(preset="cpu-smoke", epochs=2, glyphs_per_epoch=256, batch_size=16, save_every=1,
                             channels=8, style_dim=16, z_dim=8, class_dim=8, k_refs=4, ema_start_step=0,
                             penalty="none", wid_pretrain_steps=4),
    # The recipe the validation ablations chose (README, "what was tried"): class-centred style features from 8
    # references, DiffAugment and minibatch std in D, recogniser weight 0.1 (at 1 it pressed every glyph into its
    # class's prototype), mode seeking at 0.3 (at 1 glyphs scattered off the real ones: precision 0.11).
    # 1500 writer-identifier steps + 6 x 7168 glyphs: ~20 min on 2 threads.
    "cpu": TrainConfig(preset="cpu", epochs=6, glyphs_per_epoch=7168, batch_size=32, save_every=2,
                       val_writers=VALIDATION_WRITERS,
                       channels=16, style_dim=64, z_dim=32, class_dim=32, k_refs=8, lr_gen=2e-4, lr_dis=2e-4,
                       ema_beta=0.995, ema_start_step=200, penalty="r1", penalty_weight=1.0, penalty_every=16,
                       augment=True, mbstd_group=4, w_rec=0.1, w_ms=0.3),
    # The same networks and recipe shown 8 x 32,768 = 262k glyphs (the packaged checkpoint): <= 2 h on 2 cores,
    # measured on the validation writers every 2 epochs (training curve: docs/training_curve.png).
    "cpu-long": TrainConfig(preset="cpu-long", epochs=8, glyphs_per_epoch=32768, batch_size=32, save_every=2,
                            eval_every=2, val_writers=VALIDATION_WRITERS,
                            channels=16, style_dim=64, z_dim=32, class_dim=32, k_refs=8, lr_gen=2e-4, lr_dis=2e-4,
                            ema_beta=0.999, ema_start_step=500, penalty="r1", penalty_weight=1.0, penalty_every=16,
                            augment=True, mbstd_group=4, w_rec=0.1, w_ms=0.3),
    # One modern GPU, a few hours; bf16 autocast where the GPU has it, as the CUDA-only switch before it did.
    "gpu": TrainConfig(preset="gpu", epochs=100, glyphs_per_epoch=65536, batch_size=64, save_every=5, eval_every=10,
                       val_writers=VALIDATION_WRITERS,
                       channels=48, style_dim=128, z_dim=64, class_dim=64, k_refs=8, wid_pretrain_steps=4000,
                       ema_beta=0.999, ema_start_step=1000, penalty="r1", penalty_weight=1.0, penalty_every=4,
                       augment=True, mbstd_group=4, w_rec=0.1, w_ms=0.3, precision="auto"),
}
