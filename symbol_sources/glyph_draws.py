"""Where a staff's (or a page's) generated glyphs come from: fresh GAN samples, or a capped bank of them.

Both sources answer the same calls of the Mashcima and Smashcima adapters: ``start_staff`` (a new staff or scene:
its seed and hand), ``draw_generated`` (is this draw generated?) and ``generated_sprite`` (a generated glyph fitted
to the real sprite it replaces).

- ``FreshGlyphs`` (the default): every generated draw is a new sample of the GAN, never pasted twice. A staff's
  glyphs depend only on its seed (and its planned demand, itself a function of its annotation), so shards, resumed
  runs and workers give the same staves. Demand known in advance (``plan``) is made in a few passes of the CPU's best
  batch size; what was not planned is made in small per-class chunks when first needed.
- ``GlyphBank`` (``bank_size``): a fixed batch of glyphs per (writer, class), made once per job seed (and cached on
  disk), drawn from at random: the old capped mode, kept so committed results reproduce.

The hand: a training writer per staff (``per-staff``), a random training writer per glyph (``per-glyph``), a new
hand per staff mixed from 2-3 training writers (``novel``, fresh only), or one hand read from a user's reference
glyphs (``references``, fresh only; ``GlyphSampler.style_code``).
"""
from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

import cv2
import numpy as np

Style = Literal["per-staff", "per-glyph", "novel"]
STYLES: tuple[str, ...] = ("per-staff", "per-glyph", "novel")
DEFAULT_BANK_SIZE = 32  # generated glyphs per (writer, class) of the capped mode unless a job says otherwise
FRESH_CHUNK = 8  # glyphs of one class made at once for unplanned draws (smaller: less waste, slower per glyph)

# MUSCIMA++ pages hold these in either orientation (stems up or down); Mashcima stores notes stem-up, so a
# generated glyph is turned to whichever orientation overlaps the real sprite it replaces best.
ORIENTABLE = {"notehead-full", "notehead-empty", "8th_flag", "16th_flag"}


def fit_glyph(glyph: np.ndarray, height: int, width: int) -> np.ndarray:
    """Undo ``to_square``: the centred (height:width) region of a square glyph, resized to height×width."""
    s = glyph.shape[0]
    side = max(height, width)
    gh, gw = max(1, round(s * height / side)), max(1, round(s * width / side))
    top, left = (s - gh) // 2, (s - gw) // 2
    crop = np.ascontiguousarray(glyph[top:top + gh, left:left + gw], dtype=np.float32)
    interpolation = cv2.INTER_AREA if gh > height or gw > width else cv2.INTER_LINEAR
    return np.clip(cv2.resize(crop, (width, height), interpolation=interpolation), 0.0, 1.0)


def _best_orientation(mask: np.ndarray, real: np.ndarray) -> np.ndarray:
    candidates = (mask, mask[::-1], mask[:, ::-1], mask[::-1, ::-1])
    return np.ascontiguousarray(max(candidates, key=lambda m: float((m * real).sum())))


def stream_seed(*parts: int | str) -> int:
    """A 63-bit seed from integers and names (a name by its CRC-32: stable across processes, unlike hash())."""
    words = [zlib.crc32(p.encode()) if isinstance(p, str) else int(p) for p in parts]
    return int(np.random.SeedSequence(words).generate_state(2, np.uint32).astype(np.uint64) @ [1 << 31, 1]) % (1 << 63)


@dataclass
class StaffCounts:
    real: int = 0
    generated: int = 0


@dataclass
class GeneratedGlyphs:
    """What both sources share: the ratio, the hand, the counts of one staff, and fitting glyphs to sprites."""

    sampler: Any  # gan.GlyphSampler
    ratio: float
    style: Style = "per-staff"
    seed: int = 0
    rng: np.random.Generator = field(default_factory=np.random.default_rng)  # the staff's stream
    writer: int | None = None  # the staff's training writer (per-staff, or the caller's)
    counts: StaffCounts = field(default_factory=StaffCounts)
    classes: tuple[str, ...] = ()  # every class the adapter may ask for

    def generated_sprite(self, real_mask: np.ndarray, cls: str) -> np.ndarray:
        """A generated glyph of ``cls`` fitted to the real sprite's box (and orientation, where it has one)."""
        h, w = real_mask.shape
        mask = fit_glyph(self.take(cls), h, w)
        return _best_orientation(mask, real_mask) if cls in ORIENTABLE else mask

    def _count(self, generated: bool) -> bool:
        if generated:
            self.counts.generated += 1
        else:
            self.counts.real += 1
        return generated

    def _pick_writer(self, rng: np.random.Generator) -> int:
        return int(rng.choice(self.sampler.writers))

    def take(self, cls: str) -> np.ndarray:
        raise NotImplementedError  # each source says where its glyphs come from

    def fill_for_staves(self, staff_seeds: Iterable[int]) -> None:
        """Make ahead what the staves of these seeds may draw (before forking workers); fresh glyphs need nothing."""


@dataclass
class GlyphBank(GeneratedGlyphs):
    """Generated glyphs per (writer, class): a batch of ``size`` made by the GAN (or read from the disk cache)
    the first time the pair is needed, then drawn from at random.

    A pair's glyphs depend only on (bank seed, writer, class) for a given GAN and device, never on when they
    were first needed nor on which pairs were made with them (``GlyphSampler.sample_each``), and which glyph a draw
    takes comes from the staff's own random stream. So a staff's content depends only on its seed (shards and
    resumed runs are byte-identical to one run), and the GAN's cost is paid once per pair, not per staff; with
    ``cache`` once per pair across runs and processes. ``size`` bounds the variety per writer and class: at the
    default 32, each generated notehead of a 2,000-staff job is pasted ~20 times.
    """

    size: int = DEFAULT_BANK_SIZE
    cache: Any = None  # symbol_sources.caches.GlyphBankCache, or None: nothing on disk
    batch_pairs: int | None = None  # pairs per GAN pass; None: 1 on a CPU, 32 on a GPU (see sample_each)
    made: int = 0  # pairs the GAN made in this process; the others came from the disk cache
    _glyphs: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.style not in ("per-staff", "per-glyph"):
            raise ValueError(f"a glyph bank holds training writers' glyphs; style {self.style!r} needs fresh glyphs "
                             "(no bank size)")

    def start_staff(self, seed: int | None = None, writer: int | None = None) -> None:
        """New staff: reseed (if given), take ``writer``'s style or pick the staff's writer, reset counts."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.counts = StaffCounts()
        if writer is not None:  # the caller decides the hand (Smashcima's writer for the scene)
            self.writer = int(writer)
        else:
            self.writer = self._pick_writer(self.rng) if self.style == "per-staff" else None

    @property
    def hand(self) -> int | None:
        """The staff's hand as a manifest records it: its training writer, or None (a writer per glyph)."""
        return self.writer

    def draw_generated(self, category: str | None = None) -> bool:
        # rng.random() is consumed even at ratio 0/1, so the stream does not depend on the ratio's value
        return self._count(bool(self.rng.random() < self.ratio))

    @property
    def pairs(self) -> int:
        """(writer, class) pairs in the bank so far."""
        return len(self._glyphs)

    def pairs_per_pass(self) -> int:
        """The shape of the GAN's passes, which (in the last float bit) a pair's glyphs depend on."""
        if self.batch_pairs is not None:
            return self.batch_pairs
        return 32 if str(getattr(self.sampler, "device", "cpu")).startswith("cuda") else 1

    def pair_seed(self, writer: int, cls: str) -> int:
        return int(np.random.SeedSequence([self.seed, writer, *cls.encode()]).generate_state(1, np.uint32)[0])

    def fill(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Put every (writer, class) pair in the bank: from the disk cache where it is there, else from the GAN,
        many pairs per pass on a GPU. What a pair holds does not depend on the other pairs filled with it."""
        shape = (self.size, self.sampler.image_size, self.sampler.image_size)
        to_make = []
        for key in dict.fromkeys(pairs):
            if key in self._glyphs:
                continue
            cached = self.cache.load(*key, shape) if self.cache is not None else None
            if cached is not None:
                self._glyphs[key] = cached
            else:
                to_make.append(key)
        per_pass = self.pairs_per_pass()
        chunk = per_pass * max(1, 64 // per_pass)  # bounds the float32 copy held at once (64 pairs: 33 MB at 64 px)
        for start in range(0, len(to_make), chunk):
            keys = to_make[start:start + chunk]
            made = self.sampler.sample_each([(cls, writer, self.pair_seed(writer, cls)) for writer, cls in keys],
                                            n=self.size, batch_requests=per_pass)
            for key, glyphs in zip(keys, made):
                self._glyphs[key] = np.round(glyphs * 255).astype(np.uint8)  # 4x less memory than float
                if self.cache is not None:
                    self.cache.save(*key, self._glyphs[key])
            self.made += len(keys)

    def fill_for_staves(self, staff_seeds: Iterable[int]) -> None:
        """Fill every pair the staves of these seeds may draw (all classes of their writers), e.g. before
        forking workers, so each does not make them again."""
        if self.ratio == 0:
            return
        writers = ({self._pick_writer(np.random.default_rng(seed)) for seed in staff_seeds}
                   if self.style == "per-staff" else set(self.sampler.writers))
        self.fill((writer, cls) for writer in sorted(writers) for cls in self.classes)

    def glyphs(self, writer: int, cls: str) -> np.ndarray:
        """The bank of (writer, cls): (size, S, S) uint8, 255 = ink."""
        key = (writer, cls)
        if key not in self._glyphs:
            # a GPU makes a writer's every class in about the time of one pair; a CPU pays per glyph
            ahead = [(writer, c) for c in self.classes] if self.pairs_per_pass() > 1 else []
            self.fill([key, *ahead])
        return self._glyphs[key]

    def take(self, cls: str) -> np.ndarray:
        """One generated (S, S) float glyph of ``cls``, 1 = ink, in the staff's (or a random) writer's hand."""
        writer = self.writer if self.writer is not None else self._pick_writer(self.rng)
        bank = self.glyphs(writer, cls)
        return bank[self.rng.integers(len(bank))].astype(np.float32) / 255


@dataclass
class FreshGlyphs(GeneratedGlyphs):
    """Every generated draw a new GAN sample, made per staff: planned demand in batched passes, the rest in chunks.

    Streams of a staff, all from the job's and the staff's seed: which draws are generated (one stream per Mashcima category, so a plan
    made before rendering knows exactly which draws will be), the staff's hand, the planned glyphs' noise, and each
    unplanned chunk's noise (by class and chunk number). ``references`` (a style code) fixes one hand for all.
    """

    novel_scale: float = 1.0
    references: Any = None  # torch.Tensor (style_dim,): the hand of a user's reference glyphs, or None
    chunk: int = FRESH_CHUNK
    made: int = 0  # glyphs the GAN made (a plan's unused ones included)
    pasted: int = 0  # glyphs handed out: each exactly once
    hand_name: int | str | None = None
    _staff_seed: int = 0
    _code: Any = None  # the staff's style code (style_dim,), or None: a random training writer per glyph
    _pools: dict[str, list[np.ndarray]] = field(default_factory=dict)
    _chunks: Counter = field(default_factory=Counter)
    _decisions: dict[str, np.random.Generator] = field(default_factory=dict)

    def start_staff(self, seed: int | None = None, writer: int | None = None) -> None:
        """New staff of ``seed`` (else the next seed of the source's own stream), in ``writer``'s hand if given (a
        caller's choice, e.g. Smashcima's writer), else in the source's."""
        self._staff_seed = int(seed) if seed is not None else int(self.rng.integers(1 << 63))
        self.counts = StaffCounts()
        self._pools, self._chunks, self._decisions = {}, Counter(), {}
        self._choose_hand(writer)

    @property
    def hand(self) -> int | str | None:
        """The staff's hand as a manifest records it: a training writer, a novel mixture, ``references``, or None."""
        return self.hand_name

    def _choose_hand(self, writer: int | None) -> None:
        from gan import novel_hand

        rng = np.random.default_rng(stream_seed(self.seed, self._staff_seed, "hand"))
        self.writer, self._code, self.hand_name = None, None, None
        if writer is not None or (self.style == "per-staff" and self.references is None):
            self.writer = int(writer) if writer is not None else self._pick_writer(rng)
            self._code, self.hand_name = self.sampler.writer_style(self.writer), self.writer
        elif self.references is not None:
            self._code, self.hand_name = self.references, "references"
        elif self.style == "novel":
            hand = novel_hand(self.sampler.writer_styles, self.sampler.writers, rng, self.novel_scale)
            self._code, self.hand_name = hand.code, hand.describe()

    def decisions(self, category: str, n: int) -> np.ndarray:
        """Whether each of the staff's first ``n`` draws of ``category`` is generated, as ``draw_generated`` will
        answer them: what a plan is made from."""
        return self._decision_stream(category).random(n) < self.ratio

    def draw_generated(self, category: str | None = None) -> bool:
        key = category or ""
        if key not in self._decisions:
            self._decisions[key] = self._decision_stream(key)
        return self._count(bool(self._decisions[key].random() < self.ratio))

    def _decision_stream(self, category: str) -> np.random.Generator:
        return np.random.default_rng(stream_seed(self.seed, self._staff_seed, "draws", category))

    def take(self, cls: str) -> np.ndarray:
        """A glyph of ``cls`` no draw had before: the staff's planned ones first, then new chunks."""
        pool = self._pools.setdefault(cls, [])
        if not pool:
            seed = stream_seed(self.seed, self._staff_seed, "chunk", cls, self._chunks[cls])
            self._chunks[cls] += 1
            pool.extend(self._make([cls] * self.chunk, seed))
        self.pasted += 1
        return pool.pop(0)

    def plan(self, demand: Counter) -> None:
        """Make the staff's ``demand`` (class -> glyphs) now, in as few passes as the CPU's best batch allows."""
        names = [cls for cls in sorted(demand) for _ in range(demand[cls])]
        if not names:
            return
        for cls, glyph in zip(names, self._make(names, stream_seed(self.seed, self._staff_seed, "plan"))):
            self._pools.setdefault(cls, []).append(glyph)

    def _make(self, names: list[str], seed: int) -> list[np.ndarray]:
        import torch

        if self._code is not None:
            styles = self._code[None].expand(len(names), -1)
        else:  # a random training writer per glyph
            rng = np.random.default_rng(stream_seed(seed, "writers"))
            styles = self.sampler.writer_styles[torch.as_tensor(rng.integers(len(self.sampler.writers), size=len(names)))]
        self.made += len(names)
        return list(self.sampler.sample_rows(names, styles, seed))


def glyph_source(sampler: Any, ratio: float, style: Style = "per-staff", seed: int = 0, bank_size: int | None = None,
                 novel_scale: float = 1.0, references: Any = None,
                 rng: np.random.Generator | None = None) -> GeneratedGlyphs:
    """Fresh glyphs (``bank_size`` None) or the capped bank of ``bank_size`` per (writer, class)."""
    rng = rng if rng is not None else np.random.default_rng()
    if bank_size is None:
        return FreshGlyphs(sampler=sampler, ratio=ratio, style=style, seed=seed, rng=rng, novel_scale=novel_scale,
                           references=references)
    return GlyphBank(sampler=sampler, ratio=ratio, style=style, size=bank_size, seed=seed, rng=rng)


def attach_bank_cache(source: GeneratedGlyphs, checkpoint: Any, cache_dir: Any = None) -> None:
    """Give a capped bank its disk cache, keyed by the checkpoint's content; fresh glyphs have none."""
    if not isinstance(source, GlyphBank):
        return
    from gan import file_sha256
    from symbol_sources.caches import GlyphBankCache

    # bf16 glyphs differ from fp32 ones: the precision is part of the cache key, as the device kind is
    kind = source.sampler.device.type + ("-bf16" if source.sampler.precision == "bf16" else "")
    source.cache = GlyphBankCache.for_bank(file_sha256(checkpoint), source.seed, source.size, kind,
                                           source.pairs_per_pass(), cache_dir)
