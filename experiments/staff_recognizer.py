"""A staff recogniser (CRNN + CTC over Mashcima's token vocabulary), as in the Mashcima experiments.

Images are height-normalised (black ink on white in, ``1 = ink`` inside), read left to right by a
convolutional stack that keeps 1/4 of the width as time steps, then a bidirectional LSTM, then CTC.
A saved recogniser is one ``weights_only`` file holding its settings, vocabulary and weights, so anyone can
run it on other staves with ``ganmash recognize`` without this repository's training code.
"""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from gan import atomic_write

MODEL_FORMAT = "ganmash-staff-recognizer"
MODEL_VERSION = 1


class RecognizerError(ValueError):
    """A recogniser file or input that cannot be used (one-line message)."""


def mashcima_vocabulary() -> tuple[str, ...]:
    """Every token Mashcima's encoding defines (including the ones it never generates)."""
    from mashcima.vocabulary import VOCABULARY

    return tuple(VOCABULARY)


@dataclass(frozen=True)
class RecognizerSettings:
    height: int = 64  # staff images are scaled to this height, keeping their aspect ratio
    channels: tuple[int, ...] = (16, 32, 64, 96)
    lstm_hidden: int = 128
    lstm_layers: int = 2
    dropout: float = 0.2

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RecognizerSettings":
        return cls(**{**d, "channels": tuple(d["channels"])})


@dataclass(frozen=True)
class RecognizerTraining:
    """How a recogniser is trained (``train_recognizer``)."""
    steps: int
    batch_size: int
    lr: float
    width_jitter: float  # each training staff is stretched by a factor in [1 - jitter, 1 + jitter]


class StaffRecognizer(nn.Module):
    """CRNN: conv blocks (height to 4 rows, width / 4) -> BiLSTM -> per-column token logits (+ blank = 0)."""

    def __init__(self, n_tokens: int, settings: RecognizerSettings) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        c_in, h = 1, settings.height
        for i, c in enumerate(settings.channels):
            # two width halvings (~4 px of a 64-high staff per time step), four height halvings; layers beyond the
            # fourth add depth without pooling (Mashcima's recogniser has 6 conv layers)
            pool = (2, 2) if i < 2 else (2, 1) if i < 4 else None
            blocks += [nn.Conv2d(c_in, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            if pool:
                blocks.append(nn.MaxPool2d(pool))
            c_in, h = c, h // 2 if pool else h
        self.conv = nn.Sequential(*blocks)
        self.lstm = nn.LSTM(c_in * h, settings.lstm_hidden, num_layers=settings.lstm_layers, bidirectional=True,
                            batch_first=True, dropout=settings.dropout if settings.lstm_layers > 1 else 0.0)
        self.dropout = nn.Dropout(settings.dropout)
        self.head = nn.Linear(2 * settings.lstm_hidden, n_tokens + 1)

    @staticmethod
    def output_lengths(widths: torch.Tensor) -> torch.Tensor:
        return widths // 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.conv(x)  # (B, C, H/16, W/4) with 4+ conv layers
        f = f.flatten(1, 2).transpose(1, 2)  # (B, T=W/4, C*H/16)
        f, _ = self.lstm(self.dropout(f))  # (B, T, 2*hidden)
        return self.head(self.dropout(f))  # (B, T, n_tokens + 1): log-softmax is CTC's business


def normalise_staff(image: np.ndarray, height: int) -> np.ndarray:
    """uint8 staff image (255 = paper) -> float32 (height, W) with 1 = ink; W keeps the aspect ratio."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = image.shape
    new_w = max(8, round(w * height / h))
    small = cv2.resize(image, (new_w, height), interpolation=cv2.INTER_AREA)
    return 1.0 - small.astype(np.float32) / 255.0


def batch_tensor(images: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad normalised staves with paper: (B, 1, H, Wmax) and their widths (B,)."""
    widths = torch.tensor([im.shape[1] for im in images])
    x = torch.zeros(len(images), 1, images[0].shape[0], int(widths.max()))
    for i, im in enumerate(images):
        x[i, 0, :, : im.shape[1]] = torch.from_numpy(im)
    return x, widths


class TokenCodec:
    """Tokens <-> CTC labels (1..V; 0 is the blank)."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.vocabulary = tuple(vocabulary)
        self.index = {t: i + 1 for i, t in enumerate(self.vocabulary)}

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.index[t] for t in tokens]

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        return [t for t in tokens if t not in self.index]

    def greedy_decode(self, logits: torch.Tensor, lengths: torch.Tensor) -> list[list[str]]:
        """Best path: argmax per step, merge repeats, drop blanks."""
        best = logits.argmax(-1).cpu().numpy()
        out = []
        for row, n in zip(best, lengths.tolist()):
            row = row[:n]
            keep = (row != 0) & np.concatenate([[True], row[1:] != row[:-1]])
            out.append([self.vocabulary[i - 1] for i in row[keep]])
        return out

    def beam_decode(self, logits: torch.Tensor, lengths: torch.Tensor, beam_width: int) -> list[list[str]]:
        """CTC prefix beam search per staff (see ``ctc_beam_search``)."""
        log_probs = F.log_softmax(logits.float(), -1).cpu().numpy()
        return [[self.vocabulary[i - 1] for i in ctc_beam_search(lp[:n], beam_width)]
                for lp, n in zip(log_probs, lengths.tolist())]


def ctc_beam_search(log_probs: np.ndarray, beam_width: int, prune: float = -12.0) -> list[int]:
    """Most probable label sequence under CTC by prefix beam search (no language model).

    ``log_probs``: (T, V+1) per-step log-probabilities, blank = 0. A prefix's probability sums over every path
    that collapses to it (blank- and label-ending paths kept apart, so a repeated label needs a blank between),
    which greedy best-path decoding does not. At each step only the ``beam_width`` likeliest labels above
    ``prune`` (log) are tried: an untrained or unsure model would otherwise try the whole vocabulary per beam.
    """
    neg = -np.inf
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, neg)}  # prefix -> (log P ends blank, ends label)
    for lp in log_probs:
        top = np.argsort(lp[1:])[::-1][:beam_width] + 1  # labels only: the blank is always tried
        candidates = [int(c) for c in top if lp[c] > prune]
        grown: dict[tuple[int, ...], list[float]] = {}

        def add(prefix: tuple[int, ...], blank: float, label: float) -> None:
            b, n = grown.get(prefix, (neg, neg))
            grown[prefix] = [np.logaddexp(b, blank), np.logaddexp(n, label)]

        for prefix, (b, n) in beams.items():
            total = np.logaddexp(b, n)
            add(prefix, total + lp[0], neg)  # a blank keeps the prefix
            for c in candidates:
                if prefix and prefix[-1] == c:
                    add(prefix, neg, n + lp[c])  # the same label again, unbroken: still one label
                    add(prefix + (c,), neg, b + lp[c])  # after a blank: a second one
                else:
                    add(prefix + (c,), neg, total + lp[c])
        beams = dict(sorted(grown.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:beam_width])
    return list(max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))[0])


class LoadedRecognizer:
    """A recogniser ready to transcribe staff images."""

    def __init__(self, model: StaffRecognizer, codec: TokenCodec, settings: RecognizerSettings,
                 device: torch.device, info: dict[str, Any]) -> None:
        self.model, self.codec, self.settings, self.device, self.info = model.eval(), codec, settings, device, info

    @torch.inference_mode()
    def transcribe(self, images: Sequence[np.ndarray], batch_size: int = 8, beam_width: int = 1) -> list[list[str]]:
        """uint8 staff images (255 = paper, any size) -> token lists; ``beam_width`` 1 decodes greedily, more by
        CTC prefix beam search."""
        prepared = [normalise_staff(im, self.settings.height) for im in images]
        # similar widths together: less padding, and padding a BiLSTM reads is not free of effect
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[1])
        by_index: dict[int, list[str]] = {}
        for k in range(0, len(order), batch_size):
            idx = order[k:k + batch_size]
            x, widths = batch_tensor([prepared[i] for i in idx])
            logits = self.model(x.to(self.device))
            lengths = StaffRecognizer.output_lengths(widths)
            if beam_width > 1:
                decoded = self.codec.beam_decode(logits, lengths, beam_width)
            else:
                decoded = self.codec.greedy_decode(logits, lengths)
            for i, tokens in zip(idx, decoded):
                by_index[i] = tokens
        return [by_index[i] for i in range(len(prepared))]


def save_recognizer(path: str | os.PathLike, model: StaffRecognizer, codec: TokenCodec,
                    settings: RecognizerSettings, info: dict[str, Any]) -> Path:
    state = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "settings": settings.to_dict(),
             "vocabulary": list(codec.vocabulary), "info": info,
             "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    return atomic_write(path, lambda f: torch.save(state, f))


def load_recognizer(path: str | os.PathLike, device: str | torch.device = "cpu") -> LoadedRecognizer:
    """Load a saved recogniser; never runs code from the file; a file of another kind is a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise RecognizerError(f"recogniser file {path} does not exist")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - truncated, foreign or unsafe pickles all end here
        raise RecognizerError(f"{path} is not a readable recogniser file ({type(e).__name__})") from None
    if not isinstance(ck, dict) or ck.get("format") != MODEL_FORMAT:
        kind = ck.get("format") if isinstance(ck, dict) and ck.get("format") else "unknown"
        raise RecognizerError(f"{path} is not a staff recogniser (format: {kind})")
    if ck.get("version") != MODEL_VERSION:
        raise RecognizerError(f"{path} is staff-recogniser version {ck.get('version')}; this ganmash reads "
                              f"version {MODEL_VERSION}")
    settings = RecognizerSettings.from_dict(ck["settings"])
    codec = TokenCodec(ck["vocabulary"])
    device = torch.device(device)
    model = StaffRecognizer(len(codec.vocabulary), settings)
    try:
        model.load_state_dict(ck["state_dict"])
    except RuntimeError:
        raise RecognizerError(f"{path}: weights do not match its settings (damaged file?)") from None
    return LoadedRecognizer(model.to(device), codec, settings, device, dict(ck.get("info", {})))


def ctc_loss(model: StaffRecognizer, x: torch.Tensor, widths: torch.Tensor, targets: list[list[int]]) -> torch.Tensor:
    logits = model(x)  # (B, T, V+1)
    log_probs = F.log_softmax(logits.float(), -1).transpose(0, 1)  # (T, B, V+1) as CTC wants
    flat = torch.tensor([t for seq in targets for t in seq], dtype=torch.long)
    target_lengths = torch.tensor([len(seq) for seq in targets], dtype=torch.long)
    input_lengths = StaffRecognizer.output_lengths(widths).clamp(max=logits.shape[1])
    return F.ctc_loss(log_probs, flat.to(x.device), input_lengths, target_lengths, zero_infinity=True)


def _jittered(image: np.ndarray, rng: np.random.Generator, jitter: float) -> np.ndarray:
    h, w = image.shape
    new_w = max(8, round(w * rng.uniform(1 - jitter, 1 + jitter)))
    return cv2.resize(image, (new_w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def train_recognizer(images: list[np.ndarray], labels: list[list[int]], codec: TokenCodec,
                     settings: RecognizerSettings, training: RecognizerTraining, device: torch.device, seed: int,
                     progress: bool = True, on_log: Callable[[dict[str, Any]], None] = lambda r: None,
                     log_every: int = 250, start_from: dict[str, torch.Tensor] | None = None) -> StaffRecognizer:
    """``training.steps`` Adam steps of CTC on random batches; logs mean loss and throughput every ``log_every``.

    The weights start as ``seed``'s, or (fine-tuning) as ``start_from``, the state dict of a recogniser of the
    same ``settings`` and ``codec``. ``seed`` also decides the batches, the width jitter and the dropout masks:
    the same call gives the same weights whatever ran before it in the process (on a CPU; some CUDA kernels are
    not deterministic).
    """
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        model = StaffRecognizer(len(codec.vocabulary), settings)
        if start_from is not None:
            model.load_state_dict(start_from)
        _fit(model.to(device), images, labels, training, device, np.random.default_rng(seed), progress, on_log,
             log_every)
    return model.eval()


def _fit(model: StaffRecognizer, images: list[np.ndarray], labels: list[list[int]], training: RecognizerTraining,
         device: torch.device, rng: np.random.Generator, progress: bool, on_log: Callable[[dict[str, Any]], None],
         log_every: int) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=training.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=training.lr, total_steps=training.steps, pct_start=0.1)
    model.train()
    losses, t0 = [], time.perf_counter()
    bar = tqdm(range(1, training.steps + 1), unit="step", desc="recogniser", disable=not progress)
    for step in bar:
        idx = rng.integers(len(images), size=training.batch_size)
        batch = [_jittered(images[i], rng, training.width_jitter) for i in idx]
        x, widths = batch_tensor(batch)
        # a label longer than the time steps cannot be aligned; CTC's zero_infinity drops such a staff
        loss = ctc_loss(model, x.to(device), widths, [labels[i] for i in idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        losses.append(loss.detach())  # read once per log interval: .item() per step would sync a GPU every step
        if step % log_every == 0 or step == training.steps:
            dt = time.perf_counter() - t0
            record = {"step": step, "loss": round(torch.stack(losses).double().mean().item(), 4),
                      "staves_per_s": round(len(losses) * training.batch_size / dt, 2)}
            bar.set_postfix(loss=record["loss"])
            on_log(record)
            losses, t0 = [], time.perf_counter()
