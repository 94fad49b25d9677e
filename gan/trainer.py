"""The optimisation state of a training run and its steps. All state lives in a ``Trainer`` (networks, optimizers,
generators), none in globals, so that a checkpoint captures everything; ``gan.training`` runs the job around it
(run folder, resume, epochs, files).

Determinism: the data order of epoch e is drawn from ``numpy.random.default_rng([seed, e])`` and all noise from the
trainer's own ``torch.Generator`` (saved in the checkpoint), so 2 epochs + resume 2 == 4 epochs, bit for bit, on CPU.

Under torchrun (gan.distributed) each of N ranks trains on its N-th of every batch of ``batch_size`` glyphs, drawn
as a lone run draws it, with its own noise stream (seed + rank); gradients are averaged, so the ranks' weights stay
equal.
"""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from gan.augment import diff_augment
from gan.checkpoint import CheckpointError, GlyphSampler, build_generator, glyphs_to_tensor
from gan.config import ARCHITECTURE_FIELDS, ConfigError, TrainConfig
from gan.distributed import DistContext
from gan.glyphset import GlyphSet
from gan.grid import save_glyph_grid
from gan.networks import GlyphDiscriminator, GlyphRecognizer, WriterIdentifier
from gan.precision import autocast, resolve_precision
from gan.provenance import data_fingerprint, provenance
from gan.step_modules import GeneratorFromFeatures, WriterHeads


class EpochData:
    """The glyph set as tensors, and the deterministic batch order of each epoch."""

    def __init__(self, glyphs: GlyphSet, config: TrainConfig) -> None:
        self.config = config
        self.images = torch.from_numpy(glyphs.images)  # (N, S, S) uint8, kept compact; converted per batch
        self.labels = torch.from_numpy(glyphs.labels.astype(np.int64))
        self.writers = sorted(int(w) for w in np.unique(glyphs.writers))
        self.writer_idx = np.searchsorted(self.writers, glyphs.writers).astype(np.int64)  # (N,) into self.writers
        self.writer_idx_t = torch.from_numpy(self.writer_idx)
        counts = np.bincount(glyphs.labels, minlength=len(glyphs.classes)).astype(np.float64)
        w = counts[glyphs.labels] ** (config.class_balance - 1.0)
        self.weights = w / w.sum()
        # Glyphs grouped by writer, to draw k references of a glyph's writer in one vectorised step.
        self.by_writer = np.argsort(self.writer_idx, kind="stable")
        self.writer_count = np.bincount(self.writer_idx, minlength=len(self.writers))
        self.writer_start = np.concatenate([[0], np.cumsum(self.writer_count)[:-1]])

    def refs_for(self, rng: np.random.Generator, writer_idx: np.ndarray, k: int) -> np.ndarray:
        u = rng.random((len(writer_idx), k))
        pos = self.writer_start[writer_idx, None] + (u * self.writer_count[writer_idx, None]).astype(np.int64)
        return self.by_writer[pos]  # (n, k) glyph indices, all by each row's writer

    def epoch_order(self, epoch: int, steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(steps, B) glyph indices and (steps, B, k) reference indices of epoch ``epoch`` (1-based; 0 is the
        writer identifier's pretraining), ``steps_per_epoch`` steps unless given."""
        c = self.config
        steps = c.steps_per_epoch if steps is None else steps
        rng = np.random.default_rng([c.seed, epoch])
        idx = rng.choice(len(self.labels), size=steps * c.batch_size, p=self.weights)
        refs = self.refs_for(rng, self.writer_idx[idx], c.k_refs)
        return idx.reshape(steps, c.batch_size), refs.reshape(steps, c.batch_size, c.k_refs)


def _rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    return {"torch": torch.get_rng_state(),
            "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                      "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
            "python": torch.tensor(random.getstate()[1], dtype=torch.int64),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    random.setstate((3, tuple(int(v) for v in state["python"].tolist()), None))
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def training_glyphs(glyphs: GlyphSet, config: TrainConfig) -> GlyphSet:
    """The glyphs a run trains on: the set without the config's validation writers."""
    keep = ~np.isin(glyphs.writers, config.val_writers)
    if not keep.any():
        raise ConfigError("every writer of this glyph set is a validation writer; nothing is left to train on")
    return glyphs.subset(keep) if not keep.all() else glyphs


class Trainer:
    def __init__(self, config: TrainConfig, glyphs: GlyphSet, device: torch.device,
                 dist: DistContext = DistContext()) -> None:
        if config.batch_size % dist.world_size:
            raise ConfigError(f"batch_size {config.batch_size} does not split evenly over {dist.world_size} processes")
        if config.w_ms > 0 and config.batch_size // dist.world_size < 2:
            raise ConfigError(f"mode seeking (w_ms > 0) needs >= 2 glyphs per process; batch_size {config.batch_size} "
                              f"over {dist.world_size} processes gives {config.batch_size // dist.world_size}")
        self.config, self.device, self.dist = config, device, dist
        self.classes = tuple(glyphs.classes)
        self.image_size = glyphs.image_size
        self.data = EpochData(training_glyphs(glyphs, config), config)
        self.writers = self.data.writers
        torch.manual_seed(config.seed)  # network initialisation only; training noise comes from self.noise
        c, n_cls, s = config, len(self.classes), self.image_size
        self.G = build_generator(c, n_cls, s).to(device)
        self.G_ema = build_generator(c, n_cls, s).to(device).requires_grad_(False)
        self.G_ema.load_state_dict(self.G.state_dict())
        self.D = GlyphDiscriminator(n_cls, s, c.disc_channels, c.mbstd_group).to(device)
        self.R = GlyphRecognizer(n_cls, s, c.channels).to(device)
        self.W = WriterIdentifier(len(self.writers), s, c.channels, c.style_dim).to(device)
        betas = (c.beta1, c.beta2)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=c.lr_gen, betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=c.lr_dis, betas=betas)
        # R and W learn plain classification on real glyphs; Adam's default betas suit that better than GAN betas.
        self.opt_R = torch.optim.Adam([{"params": self.R.parameters(), "lr": c.lr_rec},
                                       {"params": self.W.parameters(), "lr": c.lr_wid}])
        self.noise = torch.Generator().manual_seed(c.seed + dist.rank)  # rank 0's stream is a lone run's
        # What the optimiser steps train through: under torchrun, DDP wrappers that average their gradients over the
        # ranks; alone, the networks themselves. Passes that train nothing (D, R and W judging G's glyphs) call the
        # networks directly, and so does the gradient penalty: its gradients reach D's parameters in the same
        # backward as the hinge loss's, where D's wrapper averages them once.
        self.G_step = dist.wrap(GeneratorFromFeatures(self.G), device)
        self.D_step, self.R_step = dist.wrap(self.D, device), dist.wrap(self.R, device)
        # find_unused: W's code head learns in the GAN steps only, not in W's pretraining
        self.W_step = dist.wrap(WriterHeads(self.W), device, find_unused_parameters=True)
        self._style_features: torch.Tensor | None = None  # (N, C4) per training glyph, once the trunk is final
        self.precision = resolve_precision(c.precision, device)  # fp32 or bf16: what the forward passes run in
        self.provenance = {"data_fingerprint": data_fingerprint(glyphs), **provenance(), "precision": self.precision,
                           "processes": dist.world_size}
        self.epoch, self.step_in_epoch = 0, 0
        self.wid_step = 0  # writer-identifier pretraining steps done
        self.stop_requested = False

    # -- checkpoint ---------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "classes": list(self.classes), "writers": list(self.writers),
                "image_size": self.image_size, "epoch": self.epoch, "step": self.step_in_epoch,
                "wid_step": self.wid_step,
                "networks": {k: getattr(self, k).state_dict() for k in ("G", "G_ema", "D", "R", "W")},
                "optimizers": {"G": self.opt_G.state_dict(), "D": self.opt_D.state_dict(),
                               "R": self.opt_R.state_dict()},
                "rng": {**_rng_state(), "trainer": self.noise.get_state(), **self._rank_noise()},
                "writer_features": self.writer_features(), "provenance": self.provenance}

    def load_state_dict(self, ck: dict[str, Any], source: str) -> None:
        if ck.get("sampling_only"):
            raise CheckpointError(f"{source} is a sampling-only export (no optimizer or discriminator state); "
                                  "resume from the run's own latest.pt or checkpoints/")
        if list(ck["classes"]) != list(self.classes) or list(ck["writers"]) != list(self.writers) \
                or int(ck["image_size"]) != self.image_size:
            raise CheckpointError(f"{source} was trained on other classes, writers or image size than this data")
        saved = TrainConfig.from_dict(ck["config"])
        changed = [f for f in ARCHITECTURE_FIELDS if getattr(saved, f) != getattr(self.config, f)]
        if changed:
            raise CheckpointError(f"{source} has other network settings ({', '.join(changed)}) than this run")
        try:
            for k in ("G", "G_ema", "D", "R", "W"):
                getattr(self, k).load_state_dict(ck["networks"][k])
            self.opt_G.load_state_dict(ck["optimizers"]["G"])
            self.opt_D.load_state_dict(ck["optimizers"]["D"])
            self.opt_R.load_state_dict(ck["optimizers"]["R"])
            self.wid_step = int(ck["wid_step"])
        except (RuntimeError, ValueError, KeyError):
            # e.g. a run from before the style encoder read W's features
            raise CheckpointError(f"{source} holds networks or optimizers of another shape than this version "
                                  "trains; start a new run") from None
        _set_rng_state(ck["rng"])
        self.epoch, self.step_in_epoch = int(ck["epoch"]), int(ck["step"])
        self.noise.set_state(self._saved_noise(ck["rng"]))
        self._style_features = None  # recomputed from the loaded trunk and class means when first needed

    def _rank_noise(self) -> dict[str, Any]:
        """Under torchrun, every rank's noise state (a collective: all ranks make the state dict together)."""
        return {"trainer_ranks": self.dist.gather(self.noise.get_state())} if self.dist.distributed else {}

    def _saved_noise(self, rng: dict[str, Any]) -> torch.Tensor:
        """This rank's noise state: its own when the checkpoint was saved by as many ranks, rank 0's (a lone run's)
        on rank 0; on the other ranks of a run resumed with more processes, a new stream of (seed, rank, step)."""
        states = rng.get("trainer_ranks", [rng["trainer"]])
        if len(states) == self.dist.world_size:
            return states[self.dist.rank]
        if self.dist.is_main:
            return states[0]
        key = [self.config.seed, self.dist.rank, self.wid_step, self.epoch, self.step_in_epoch]
        return torch.Generator().manual_seed(int(np.random.SeedSequence(key).generate_state(1)[0])).get_state()

    def sampler(self) -> GlyphSampler:
        return GlyphSampler(self.G_ema, self.classes, self.writers, self.writer_features(), self.device)

    # -- style features -----------------------------------------------------------------------------------------
    @property
    def style_ready(self) -> bool:
        """W's pretraining is done, so the style encoder's trunk (and class means) are final."""
        return self.wid_step >= self.config.wid_pretrain_steps

    @torch.no_grad()
    def _encode_all(self, centred: bool = True) -> torch.Tensor:
        enc, dev, out = self.G.style_encoder, self.device, []
        for i in range(0, len(self.data.images), 1024):
            x = glyphs_to_tensor(self.data.images[i:i + 1024]).to(dev)
            f = enc.features(x, self.data.labels[i:i + 1024].to(dev))
            out.append(f)
        return torch.cat(out)  # (N, C4)

    def _set_class_means(self) -> None:
        """Once W's trunk is the style encoder's: each class's mean feature, removed from every reference."""
        n_cls = len(self.classes)
        for g in (self.G, self.G_ema):
            g.style_encoder.class_means.zero_()
        raw = self._encode_all()  # class means are zero: these are the raw features
        if self.config.style_centering:
            labels = self.data.labels.to(self.device)
            sums = torch.zeros(n_cls, raw.shape[1], device=self.device).index_add_(0, labels, raw)
            means = sums / torch.bincount(labels, minlength=n_cls).clamp(min=1)[:, None]
            for g in (self.G, self.G_ema):
                g.style_encoder.class_means.copy_(means)
            raw = raw - means[labels]
        self._style_features = raw

    def style_features(self) -> torch.Tensor:
        """(N, C4) class-centred writer features of every training glyph, computed once: the trunk is frozen, so
        a step averages cached rows instead of running it on B*k references (a sixth of a step on CPU)."""
        if self._style_features is None:
            self._style_features = self._encode_all()
        return self._style_features

    def writer_features(self) -> torch.Tensor:
        """(W, C4) mean style feature of each training writer over all its glyphs: what sampling by writer uses,
        stored in checkpoints instead of reference glyphs (numbers, not images of the data)."""
        f = self.style_features() if self.style_ready else torch.zeros(len(self.data.images),
                                                                       self.G.style_encoder.class_means.shape[1])
        w = self.data.writer_idx_t.to(f.device)
        sums = torch.zeros(len(self.writers), f.shape[1], device=f.device).index_add_(0, w, f)
        return (sums / torch.bincount(w, minlength=len(self.writers)).clamp(min=1)[:, None]).cpu()

    # -- one step -----------------------------------------------------------------------------------------------
    def _autocast(self):
        """Forward passes only: every loss below is taken on ``.float()`` outputs, outside it."""
        return autocast(self.precision, self.device)

    def _penalty(self, x_real: torch.Tensor, x_fake: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        c = self.config
        if c.penalty == "r1":  # zero-centred, on real data (Mescheder et al. 2018)
            x = x_real.detach().requires_grad_(True)
        else:  # "gp": one-centred, on real/fake interpolates (Gulrajani et al. 2017)
            eps = torch.rand(len(x_real), 1, 1, 1, generator=self.noise).to(self.device)
            x = (eps * x_real + (1 - eps) * x_fake.detach()).requires_grad_(True)
        # fp32 in a bf16 run too. Autocast would not break the double backward (checked on CPU: the penalty came
        # out within 1 %, its gradient within 5 %), but the penalty runs every penalty_every steps only: fp32 is cheap.
        (grad,) = torch.autograd.grad(self.D(x, labels).sum(), x, create_graph=True)
        norm2 = grad.pow(2).sum((1, 2, 3))
        if c.penalty == "r1":
            return c.penalty_weight / 2 * norm2.mean()
        return c.penalty_weight * (norm2.sqrt() - 1).pow(2).mean()

    def pretrain_writer_identifier(self, progress: bool = True) -> dict[str, Any]:
        """Run (the rest of) W's pretraining on real glyphs, then give the style encoder W's trunk.

        From scratch W names no writer, so a GAN step against it would teach G nothing about style; and writer
        features are what the style encoder should average. Returns the mean loss and speed.
        """
        c, dev = self.config, self.device
        idx, _ = self.data.epoch_order(0, c.wid_pretrain_steps)
        idx = self.dist.shard(idx)  # (steps, B / N): this rank's share
        total, done, t0 = torch.zeros((), device=dev), 0, time.perf_counter()
        bar = tqdm(range(self.wid_step, c.wid_pretrain_steps), desc="writer identifier", disable=not progress,
                   leave=False, dynamic_ncols=True)
        self.W.train()
        for i in bar:
            idx_t = torch.from_numpy(idx[i])
            x = glyphs_to_tensor(self.data.images[idx_t]).unsqueeze(1).to(dev)  # (B, 1, S, S)
            with self._autocast():
                logits, _ = self.W_step(x)  # (B, n_writers)
            loss = F.cross_entropy(logits.float(), self.data.writer_idx_t[idx_t].to(dev))
            self.opt_R.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_R.step()
            self.dist.average_buffers(self.W)  # batch-norm statistics: every rank's, so the ranks' W stay equal
            total += loss.detach().float()
            done, self.wid_step = done + 1, i + 1
            if progress and (done % 10 == 0 or i + 1 == c.wid_pretrain_steps):
                bar.set_postfix(w=f"{total.item() / done:.3f}")
            if self.dist.any(self.stop_requested, dev):
                self.stop_requested = True
                break
        bar.close()
        total = self.dist.mean(total)
        if self.wid_step == c.wid_pretrain_steps:
            for g in (self.G, self.G_ema):
                g.style_encoder.trunk.load_state_dict(self.W.trunk.state_dict())
            self._set_class_means()
        seconds = time.perf_counter() - t0
        return {"epoch": 0, "wid_steps": done, "w": round(total.item() / max(done, 1), 5),
                "seconds": round(seconds, 2), "glyphs_per_s": round(done * c.batch_size / max(seconds, 1e-9), 1)}

    def train_step(self, idx: np.ndarray, ref_idx: np.ndarray, global_step: int) -> dict[str, float]:
        c, dev = self.config, self.device
        idx_t, ref_t = torch.from_numpy(idx), torch.from_numpy(ref_idx)
        b = len(idx)
        x_real = glyphs_to_tensor(self.data.images[idx_t]).unsqueeze(1).to(dev)  # (B, 1, S, S)
        y = self.data.labels[idx_t].to(dev)  # (B,)
        wr = self.data.writer_idx_t[idx_t].to(dev)  # (B,)
        ref_features = self.style_features()[ref_t.to(dev)].mean(1)  # (B, C4): the writer of each real glyph
        # What each generated glyph is asked for: the real glyph's class and writer, or, for mode seeking, the
        # first half's twice (pairs i, i + B/2 differ in noise only).
        pick = torch.arange(b, device=dev) if c.w_ms == 0 else torch.arange(b, device=dev) % (b // 2)
        y_gen, wr_gen = y[pick], wr[pick]
        z = torch.randn(b, self.G.latent_dim, generator=self.noise).to(dev)  # z, and the pixel noise if any
        augment = (lambda x: diff_augment(x, self.noise)) if c.augment else (lambda x: x)

        # Generate once; D learns from the detached copy, G from the same glyphs after D's update.
        with self._autocast():
            style, x_fake = self.G_step(ref_features[pick], y_gen, z)  # (B, style_dim), (B, 1, S, S)

        # D: hinge loss on (augmented) glyphs, plus a lazy gradient penalty on what it saw.
        self.D.requires_grad_(True)
        d_real, d_fake = augment(x_real), augment(x_fake.detach())
        with self._autocast():
            real_score, fake_score = self.D_step(d_real, y), self.D_step(d_fake, y_gen)  # (B,) each
        d_loss = F.relu(1 - real_score.float()).mean() + F.relu(1 + fake_score.float()).mean()
        penalty = torch.zeros((), device=dev)
        if c.penalty != "none" and global_step % c.penalty_every == 0:
            penalty = self._penalty(d_real, d_fake, y)
        self.opt_D.zero_grad(set_to_none=True)
        (d_loss + c.penalty_every * penalty).backward()
        self.opt_D.step()

        # R and W: plain classifiers of real glyphs (class; writer).
        self.R.requires_grad_(True), self.W.requires_grad_(True)
        self.W.train()
        with self._autocast():
            class_logits = self.R_step(x_real)
            # the code head learns on detached codes; the encoder learns from it in G's step
            writer_logits, code_logits = self.W_step(x_real, style.detach() if c.w_code > 0 else None)
        r_loss = F.cross_entropy(class_logits.float(), y)
        w_loss = F.cross_entropy(writer_logits.float(), wr)
        if code_logits is not None:
            w_loss = w_loss + F.cross_entropy(code_logits.float(), wr_gen)
        self.opt_R.zero_grad(set_to_none=True)
        (r_loss + w_loss).backward()
        self.opt_R.step()
        self.dist.average_buffers(self.W)

        # G: fool D, be read as class y by R, as the reference writer by W, and differ where the noise does.
        self.D.requires_grad_(False), self.R.requires_grad_(False), self.W.requires_grad_(False)
        self.W.eval()  # batch norm with real-glyph statistics: a batch of fakes must not redefine what is normal
        zero = torch.zeros((), device=dev)
        with self._autocast():
            fake_score = self.D(augment(x_fake), y_gen)
            class_logits = self.R(x_fake) if c.w_rec > 0 else None
            writer_logits = self.W(x_fake) if c.w_wid > 0 else None
            code_logits = self.W.from_code(style) if c.w_code > 0 else None
        g_adv = -fake_score.float().mean()
        g_rec = F.cross_entropy(class_logits.float(), y_gen) if class_logits is not None else zero
        g_wid = F.cross_entropy(writer_logits.float(), wr_gen) if writer_logits is not None else zero
        g_code = F.cross_entropy(code_logits.float(), wr_gen) if code_logits is not None else zero
        g_ms = zero
        if c.w_ms > 0:
            h = b // 2
            glyph_dist = (x_fake[:h] - x_fake[h:2 * h]).float().abs().mean((1, 2, 3))  # (B/2,)
            noise_dist = (z[:h] - z[h:2 * h]).abs().mean(1)  # (B/2,)
            g_ms = 1 / ((glyph_dist / noise_dist).mean() + 1e-5)
        g_loss = c.w_adv * g_adv + c.w_rec * g_rec + c.w_wid * g_wid + c.w_code * g_code + c.w_ms * g_ms
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        self._update_ema(global_step)
        return {"d": d_loss, "pen": penalty, "r": r_loss, "w": w_loss, "g_adv": g_adv, "g_rec": g_rec,
                "g_wid": g_wid, "g_code": g_code, "g_ms": g_ms}  # tensors: summed on device, read once per log

    @torch.no_grad()
    def _update_ema(self, global_step: int) -> None:
        beta = 0.0 if global_step < self.config.ema_start_step else self.config.ema_beta
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
            p_ema.lerp_(p, 1.0 - beta)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    # -- one epoch ----------------------------------------------------------------------------------------------
    def train_epoch(self, progress: bool = True) -> dict[str, Any]:
        """Run (the rest of) epoch ``self.epoch + 1``. Returns its mean losses and speed."""
        c = self.config
        epoch = self.epoch + 1
        idx, refs = self.data.epoch_order(epoch)
        idx, refs = self.dist.shard(idx), self.dist.shard(refs)  # (steps, B / N), (steps, B / N, k): this rank's
        first = self.step_in_epoch
        sums: dict[str, torch.Tensor] = {}
        t0, done = time.perf_counter(), 0
        bar = tqdm(range(first, c.steps_per_epoch), desc=f"epoch {epoch}/{c.epochs}", disable=not progress,
                   leave=False, dynamic_ncols=True)
        for i in bar:
            losses = self.train_step(idx[i], refs[i], (epoch - 1) * c.steps_per_epoch + i)
            for k, v in losses.items():
                sums[k] = sums.get(k, 0) + v.detach().float()
            done += 1
            self.step_in_epoch = i + 1
            if progress and (done % 10 == 0 or i + 1 == c.steps_per_epoch):
                bar.set_postfix({k: f"{v.item() / done:.3f}" for k, v in sums.items()})
            if self.dist.any(self.stop_requested, self.device):
                self.stop_requested = True
                break
        bar.close()
        if sums:  # the logged losses: means over every rank's shard
            sums = dict(zip(sums, self.dist.mean(torch.stack(list(sums.values())))))
        seconds = time.perf_counter() - t0
        if self.step_in_epoch == c.steps_per_epoch:
            self.epoch, self.step_in_epoch = epoch, 0
        return {"epoch": epoch, "steps": done, **{k: round(v.item() / max(done, 1), 5) for k, v in sums.items()},
                "seconds": round(seconds, 2), "glyphs_per_s": round(done * c.batch_size / max(seconds, 1e-9), 1)}

    def save_samples(self, path: Path, n_writers: int = 8) -> Path:
        sampler = self.sampler()
        cols = np.unique(np.linspace(0, len(self.writers) - 1, min(n_writers, len(self.writers))).round().astype(int))
        gen = torch.Generator().manual_seed(12345)  # same noise every epoch: rows are comparable over training
        imgs = np.stack([sampler.sample(list(self.classes), writer=self.writers[w], generator=gen) for w in cols], 1)
        rows = [(name, imgs[i]) for i, name in enumerate(self.classes)]  # one row per class, a column per writer
        title = f"epoch {self.epoch}; writers {', '.join(str(self.writers[w]) for w in cols)}"
        return save_glyph_grid(rows, path, title=title)
