"""A Mashcima symbol repository that mixes real MUSCIMA++ glyphs with GAN-generated ones.

Mashcima's renderer touches its repository in three ways only: ``random.choice(repo.CATEGORY)`` (then
``copy.deepcopy``), ``repo.TIME_MARKS["time_N"]``, and ``repo.CONFIG`` once per staff it draws. So each
category here is a ``Sequence`` as long as the real list: ``random.choice`` consumes Mashcima's random stream
exactly as before, and at ``ratio=0`` the images are bit-identical to plain Mashcima. When a draw is to be
generated, the real item at the drawn index lends its geometry (sprite sizes, offsets, anchor points) and
each sprite of a GAN class gets a generated glyph of that class, fitted to the real sprite's box. Sizes
therefore follow the real size distribution of each class, and composite notes keep real note geometry.
"""
from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Literal

import cv2
import numpy as np

Style = Literal["per-staff", "per-glyph"]
DEFAULT_BANK_SIZE = 32  # generated glyphs per (writer, class) unless a job says otherwise
STYLES: tuple[str, ...] = ("per-staff", "per-glyph")

# Mashcima category -> {sprite name -> MUSCIMA++ class the GAN draws}. A bare Sprite category uses key None.
CATEGORY_SPRITES: dict[str, dict[str | None, str]] = {
    "WHOLE_NOTES": {"notehead": "notehead-empty"},
    "HALF_NOTES": {"notehead": "notehead-empty", "stem": "stem"},
    "QUARTER_NOTES": {"notehead": "notehead-full", "stem": "stem"},
    "EIGHTH_NOTES": {"notehead": "notehead-full", "stem": "stem", "flag_8": "8th_flag"},
    "SIXTEENTH_NOTES": {"notehead": "notehead-full", "stem": "stem", "flag_8": "8th_flag", "flag_16": "16th_flag"},
    "WHOLE_RESTS": {"rest": "whole_rest"},
    "HALF_RESTS": {"rest": "half_rest"},
    "QUARTER_RESTS": {"rest": "quarter_rest"},
    "EIGHTH_RESTS": {"rest": "8th_rest"},
    "SIXTEENTH_RESTS": {"rest": "16th_rest"},
    "SHARPS": {None: "sharp"},
    "FLATS": {None: "flat"},
    "NATURALS": {None: "natural"},
    "DOTS": {None: "duration-dot"},
    "LEDGER_LINES": {None: "ledger_line"},
    "BAR_LINES": {"barline": "thin_barline"},
    "TALL_BAR_LINES": {"barline": "thin_barline"},
    "G_CLEFS": {"clef": "g-clef"},
    "F_CLEFS": {"clef": "f-clef"},
    "C_CLEFS": {"clef": "c-clef"},
}
TIME_MARK_SPRITES: dict[str, dict[str | None, str]] = {
    **{f"time_{d}": {"symbol": f"numeral_{d}"} for d in range(10)},
    "time_c": {"symbol": "whole-time_mark"},
}
# every class the provider can ask the GAN for: what ``real_classes`` may name
PROVIDER_CLASSES: tuple[str, ...] = tuple(sorted({c for sprites in (*CATEGORY_SPRITES.values(),
                                                                    *TIME_MARK_SPRITES.values())
                                                   for c in sprites.values()}))


def check_real_classes(real_classes: Iterable[str]) -> tuple[str, ...]:
    """``real_classes`` as a sorted tuple; a name the provider never draws is a one-line error."""
    names = tuple(sorted(set(real_classes)))
    unknown = [c for c in names if c not in PROVIDER_CLASSES]
    if unknown:
        raise ValueError(f"unknown glyph class(es) {', '.join(unknown)}; choose from "
                         f"{', '.join(PROVIDER_CLASSES)}")
    return names


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


@dataclass
class StaffCounts:
    real: int = 0
    generated: int = 0


@dataclass
class GlyphBank:
    """Generated glyphs per (writer, class): a batch of ``size`` made by the GAN (or read from the disk cache)
    the first time the pair is needed, then drawn from at random.

    A pair's glyphs depend only on (bank seed, writer, class) for a given GAN and device, never on when they
    were first needed nor on which pairs were made with them (``GlyphSampler.sample_each``), and which glyph a draw takes comes from
    the staff's own random stream. So a staff's content depends only on its seed (shards and resumed runs are
    byte-identical to one run), and the GAN's cost is paid once per pair, not per staff; with ``cache`` once
    per pair across runs and processes. ``size`` bounds the variety per writer and class.
    """

    sampler: Any  # gan.GlyphSampler
    ratio: float
    style: Style = "per-staff"
    size: int = DEFAULT_BANK_SIZE
    seed: int = 0
    rng: np.random.Generator = field(default_factory=np.random.default_rng)  # the staff's stream
    writer: int | None = None
    counts: StaffCounts = field(default_factory=StaffCounts)
    classes: tuple[str, ...] = ()  # every class the repository may ask for: what a writer's fill covers
    cache: Any = None  # symbol_sources.caches.GlyphBankCache, or None: nothing on disk
    batch_pairs: int | None = None  # pairs per GAN pass; None: 1 on a CPU, 32 on a GPU (see sample_each)
    made: int = 0  # pairs the GAN made in this process; the others came from the disk cache
    _glyphs: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)

    def start_staff(self, seed: int | None = None, writer: int | None = None) -> None:
        """New staff: reseed (if given), take ``writer``'s style or pick the staff's writer, reset counts."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.counts = StaffCounts()
        if writer is not None:  # the caller decides the hand (Smashcima's writer for the scene)
            self.writer = int(writer)
        else:
            self.writer = self._pick_writer(self.rng) if self.style == "per-staff" else None

    def _pick_writer(self, rng: np.random.Generator) -> int:
        return int(rng.choice(self.sampler.writers))

    def draw_generated(self) -> bool:
        # rng.random() is consumed even at ratio 0/1, so the stream does not depend on the ratio's value
        generated = bool(self.rng.random() < self.ratio)
        if generated:
            self.counts.generated += 1
        else:
            self.counts.real += 1
        return generated

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

    def generated_sprite(self, real_mask: np.ndarray, cls: str) -> np.ndarray:
        h, w = real_mask.shape
        mask = fit_glyph(self.take(cls), h, w)
        return _best_orientation(mask, real_mask) if cls in ORIENTABLE else mask


class MixedCategory(Sequence):
    """A Mashcima category whose items are, with probability ``ratio``, re-drawn with generated glyphs."""

    def __init__(self, real: list, sprites: dict[str | None, str], bank: GlyphBank) -> None:
        self.real = real
        self.sprites = sprites
        self.bank = bank

    def __len__(self) -> int:
        return len(self.real)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.real[index]
        item = self.real[index]
        if not self.bank.draw_generated():
            return item
        return self._generated_like(item)

    def __iter__(self) -> Iterator:
        return iter(self.real)  # iteration (inspection, counting) never generates

    def _generated_like(self, item):
        from mashcima.Sprite import Sprite

        if None in self.sprites:  # a bare Sprite
            return Sprite(item.x, item.y, self.bank.generated_sprite(item.mask, self.sprites[None]))
        group = copy.deepcopy(item)
        for name, cls in self.sprites.items():
            if name in group.sprites:
                sprite = group.sprites[name]
                sprite.mask = self.bank.generated_sprite(sprite.mask, cls)
        if "stem" in self.sprites and "stem_head" in group.points:
            stem = group.sprites["stem"]
            # Mashcima anchors beams at the stem's top row, at its inkiest column
            group.points["stem_head"] = (stem.x + int(np.argmax(stem.mask[:3].sum(0))), stem.y)
        return group


class MixedSymbolRepository:
    """Stands in for ``mashcima.SymbolRepository``: real categories from ``real``, mixed where the GAN can draw.

    Categories the GAN has no class for (longa and breve rests, time marks of missing numerals) stay real, and so
    do the sprites of ``real_classes`` (e.g. classes whose generated glyphs are known to be poor). Reading ``CONFIG`` (Mashcima does so once per staff it draws) starts a new staff style, unless the
    caller manages staves itself with ``start_staff(seed)``.
    """

    def __init__(self, real, sampler, ratio: float = 0.5, style: Style = "per-staff",
                 seed: int | None = None, auto_staff: bool = True, bank_size: int = DEFAULT_BANK_SIZE,
                 real_classes: Iterable[str] = ()) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"ratio must be in [0, 1], got {ratio}")
        if bank_size < 1:
            raise ValueError(f"bank_size must be at least 1, got {bank_size}")
        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
        self.real = real
        self.replaced: tuple[Any] | None = None  # (previous default repository,) while installed
        self.bank = GlyphBank(sampler=sampler, ratio=ratio, style=style, size=bank_size, seed=seed or 0,
                              rng=np.random.default_rng(seed))
        self.auto_staff = auto_staff
        covered = set(sampler.classes) - set(check_real_classes(real_classes))
        self.categories: dict[str, Sequence] = {}
        for name, sprites in CATEGORY_SPRITES.items():
            self.categories[name] = self._mixed(getattr(real, name), sprites, covered)
        self.TIME_MARKS = {key: self._mixed(items, TIME_MARK_SPRITES.get(key, {}), covered)
                           for key, items in real.TIME_MARKS.items()}
        mixed = [c for c in (*self.categories.values(), *self.TIME_MARKS.values()) if isinstance(c, MixedCategory)]
        self.bank.classes = tuple(sorted({cls for c in mixed for cls in c.sprites.values()}))
        self.bank.start_staff()

    def _mixed(self, items: list, sprites: dict[str | None, str], covered: set[str]) -> Sequence:
        usable = {k: c for k, c in sprites.items() if c in covered}
        return MixedCategory(items, usable, self.bank) if usable else items

    @property
    def CONFIG(self):  # noqa: N802 (Mashcima's attribute name)
        if self.auto_staff:
            self.bank.start_staff()
        return self.real.CONFIG

    def fill_for_staves(self, staff_seeds: Iterable[int]) -> None:
        """Make (or read from the disk cache) the generated glyphs the staves of these seeds may draw."""
        self.bank.fill_for_staves(staff_seeds)

    def start_staff(self, seed: int | None = None) -> None:
        """Start a staff explicitly (reseeded for reproducibility); stops ``CONFIG`` from starting staves."""
        self.auto_staff = False
        self.bank.start_staff(seed)

    @property
    def counts(self) -> StaffCounts:
        """Real and generated draws since the staff started."""
        return self.bank.counts

    @property
    def writer_style(self) -> int | None:
        return self.bank.writer

    def __getattr__(self, name: str):
        categories = self.__dict__.get("categories", {})
        if name in categories:
            return categories[name]
        return getattr(self.__dict__["real"], name)  # DOCUMENTS, CROP_OBJECTS, LONGA_RESTS, ...


def install(repository: MixedSymbolRepository) -> MixedSymbolRepository:
    """Make ``repository`` what ``mashcima.SymbolRepository.load_default()`` returns."""
    from mashcima.SymbolRepository import SymbolRepository

    if repository.replaced is not None or SymbolRepository.DEFAULT_REPOSITORY is repository:
        raise RuntimeError("this provider is already registered")
    # the repository remembers what it replaced, so nested registrations unwind in order
    repository.replaced = (SymbolRepository.DEFAULT_REPOSITORY,)
    SymbolRepository.DEFAULT_REPOSITORY = repository
    return repository


def uninstall() -> None:
    """Restore the repository that was Mashcima's default before the current provider was installed."""
    from mashcima.SymbolRepository import SymbolRepository

    current = SymbolRepository.DEFAULT_REPOSITORY
    if not isinstance(current, MixedSymbolRepository) or current.replaced is None:
        raise RuntimeError("no ganmash provider is registered")
    SymbolRepository.DEFAULT_REPOSITORY = current.replaced[0]
    current.replaced = None


@contextlib.contextmanager
def installed(repository: MixedSymbolRepository) -> Iterator[MixedSymbolRepository]:
    install(repository)
    try:
        yield repository
    finally:
        uninstall()


def open_mixed_repository(checkpoint: str | os.PathLike, muscima_pp: str | os.PathLike, ratio: float = 0.5,
                          device: str = "auto", style: Style = "per-staff", seed: int | None = None,
                          writers: Iterable[int] | None = None, cache_dir: str | os.PathLike | None = None,
                          real=None, bank_cache: bool = True, bank_size: int = DEFAULT_BANK_SIZE,
                          real_classes: Iterable[str] = ()) -> MixedSymbolRepository:
    """Mashcima's real repository over the training writers, mixed with the GAN of ``checkpoint``.

    ``bank_size`` generated glyphs per (writer, class) pair are drawn from; ``real_classes`` stay real.

    ``real`` reuses an already built ``mashcima.SymbolRepository`` (it takes seconds to build). With
    ``bank_cache`` the generated glyphs are kept in ``cache_dir`` (default: ganmash's cache folder), keyed by
    the checkpoint's content, so the next run with the same GAN and seed makes none of them again.
    """
    from gan import load_generator, resolve_device
    from gan import file_sha256
    from symbol_sources.caches import GlyphBankCache
    from symbol_sources.mashcima_repository import build_mashcima_repository

    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio must be in [0, 1], got {ratio}")
    real_classes = check_real_classes(real_classes)  # before the seconds of loading
    sampler = load_generator(checkpoint, resolve_device(device))
    if real is None:
        real = build_mashcima_repository(muscima_pp, writers=writers, cache_dir=cache_dir)
    repo = MixedSymbolRepository(real, sampler, ratio=ratio, style=style, seed=seed, bank_size=bank_size,
                                 real_classes=real_classes)
    if bank_cache:
        repo.bank.cache = GlyphBankCache.for_bank(file_sha256(checkpoint), repo.bank.seed, repo.bank.size,
                                                  sampler.device.type, repo.bank.pairs_per_pass(), cache_dir)
    return repo
