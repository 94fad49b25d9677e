"""A Mashcima symbol repository that mixes real MUSCIMA++ glyphs with GAN-generated ones.

Mashcima's renderer touches its repository in three ways only: ``random.choice(repo.CATEGORY)`` (then
``copy.deepcopy``), ``repo.TIME_MARKS["time_N"]``, and ``repo.CONFIG`` once per staff it draws. So each
category here is a ``Sequence`` as long as the real list: ``random.choice`` consumes Mashcima's random stream
exactly as before, and at ``ratio=0`` the images are bit-identical to plain Mashcima. When a draw is to be
generated, the real item at the drawn index lends its geometry (sprite sizes, offsets, anchor points) and
each sprite of a GAN class gets a generated glyph of that class, fitted to the real sprite's box. Sizes
therefore follow the real size distribution of each class, and composite notes keep real note geometry.

Where the generated glyphs come from is ``symbol_sources.glyph_draws``: fresh GAN samples (the default; a staff's
demand is planned from its annotation before Mashcima renders it, ``plan_demand``) or a capped bank.
"""
from __future__ import annotations

import contextlib
import copy
import os
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any, Iterable, Iterator

import numpy as np

from symbol_sources.glyph_draws import (STYLES, FreshGlyphs, GeneratedGlyphs, StaffCounts, Style, attach_bank_cache,
                                        glyph_source)

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


class MixedCategory(Sequence):
    """A Mashcima category whose items are, with probability ``ratio``, re-drawn with generated glyphs."""

    def __init__(self, name: str, real: list, sprites: dict[str | None, str], source: GeneratedGlyphs) -> None:
        self.name = name
        self.real = real
        self.sprites = sprites
        self.bank = source

    def __len__(self) -> int:
        return len(self.real)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.real[index]
        item = self.real[index]
        if not self.bank.draw_generated(self.name):
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


class _CountingCategory(Sequence):
    """A real category that counts how often Mashcima draws from it (a plan's dry run)."""

    def __init__(self, name: str, real: list, draws: Counter) -> None:
        self.name, self.real, self.draws = name, real, draws

    def __len__(self) -> int:
        return len(self.real)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            self.draws[self.name] += 1
        return self.real[index]


class _CountingRepository:
    """Mashcima's real repository, counting the draws of each mixed category."""

    def __init__(self, repo: "MixedSymbolRepository", draws: Counter) -> None:
        self._repo = repo
        self._categories = {name: _CountingCategory(name, c.real, draws)
                            for name, c in repo.categories.items() if isinstance(c, MixedCategory)}
        self.TIME_MARKS = {key: _CountingCategory(f"TIME_MARKS.{key}", c.real, draws) if isinstance(c, MixedCategory)
                           else c for key, c in repo.TIME_MARKS.items()}

    def __getattr__(self, name: str):
        return self._categories[name] if name in self._categories else getattr(self._repo.real, name)


def count_category_draws(repo: "MixedSymbolRepository", annotation: str) -> Counter | None:
    """How often Mashcima draws from each mixed category to render ``annotation`` (None: it cannot be parsed).

    Mashcima chooses every sprite of a staff (``select_sprites``) before placing and rendering any, and which
    categories an item draws from follows from its tokens alone. So choosing sprites once for a canvas of the
    annotation, on a repository that counts, gives the staff's draws; Python's and numpy's random states are put
    back afterwards, so the real render is the same as without the count.
    """
    from mashcima.Canvas import Canvas
    from mashcima.annotation_to_image import annotation_to_canvas

    draws: Counter = Counter()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        canvas = Canvas()
        annotation_to_canvas(canvas, annotation, print_warnings=False)
        canvas.finish_construction()
        counting = _CountingRepository(repo, draws)
        for item in canvas.items:
            item.select_sprites(counting)
    except Exception:  # noqa: BLE001 - Mashcima's parser asserts; the real render reports the error
        return None
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    return draws


class MixedSymbolRepository:
    """Stands in for ``mashcima.SymbolRepository``: real categories from ``real``, mixed where the GAN can draw.

    Categories the GAN has no class for (longa and breve rests, time marks of missing numerals) stay real, and so
    do the sprites of ``real_classes`` (e.g. classes whose generated glyphs are known to be poor). Reading
    ``CONFIG`` (Mashcima does so once per staff it draws) starts a new staff, unless the caller manages staves
    itself with ``start_staff(seed)``; given the staff's annotation, ``start_staff`` plans its generated glyphs.

    ``bank_size`` None (the default): fresh glyphs; a number: the capped bank of that many per (writer, class).
    ``style``: ``per-staff``, ``per-glyph`` or ``novel`` (fresh only, with ``novel_scale``); ``references``: a style
    code (``GlyphSampler.style_code`` of a user's glyphs) for every staff (fresh only).
    """

    def __init__(self, real, sampler, ratio: float = 0.5, style: Style = "per-staff",
                 seed: int | None = None, auto_staff: bool = True, bank_size: int | None = None,
                 real_classes: Iterable[str] = (), novel_scale: float = 1.0, references=None) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"ratio must be in [0, 1], got {ratio}")
        if bank_size is not None and bank_size < 1:
            raise ValueError(f"bank_size must be at least 1, got {bank_size}")
        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
        if bank_size is not None and references is not None:
            raise ValueError("a glyph bank holds training writers' glyphs; reference glyphs need fresh glyphs")
        self.real = real
        self.replaced: tuple[Any] | None = None  # (previous default repository,) while installed
        self.bank: GeneratedGlyphs = glyph_source(sampler, ratio, style, seed or 0, bank_size, novel_scale, references,
                                                  np.random.default_rng(seed))
        self.auto_staff = auto_staff
        covered = set(sampler.classes) - set(check_real_classes(real_classes))
        self.categories: dict[str, Sequence] = {}
        for name, sprites in CATEGORY_SPRITES.items():
            self.categories[name] = self._mixed(name, getattr(real, name), sprites, covered)
        self.TIME_MARKS = {key: self._mixed(f"TIME_MARKS.{key}", items, TIME_MARK_SPRITES.get(key, {}), covered)
                           for key, items in real.TIME_MARKS.items()}
        mixed = [c for c in (*self.categories.values(), *self.TIME_MARKS.values()) if isinstance(c, MixedCategory)]
        self.bank.classes = tuple(sorted({cls for c in mixed for cls in c.sprites.values()}))
        self.bank.start_staff()

    def _mixed(self, name: str, items: list, sprites: dict[str | None, str], covered: set[str]) -> Sequence:
        usable = {k: c for k, c in sprites.items() if c in covered}
        return MixedCategory(name, items, usable, self.bank) if usable else items

    @property
    def CONFIG(self):  # noqa: N802 (Mashcima's attribute name)
        if self.auto_staff:
            self.bank.start_staff()
        return self.real.CONFIG

    def fill_for_staves(self, staff_seeds: Iterable[int]) -> None:
        """Make (or read from the disk cache) the generated glyphs the staves of these seeds may draw."""
        self.bank.fill_for_staves(staff_seeds)

    def start_staff(self, seed: int | None = None, annotation: str | None = None) -> None:
        """Start a staff explicitly (reseeded for reproducibility); stops ``CONFIG`` from starting staves. With the
        staff's ``annotation``, fresh glyphs are planned: made before rendering, in few batched GAN passes."""
        self.auto_staff = False
        self.bank.start_staff(seed)
        if annotation is not None and isinstance(self.bank, FreshGlyphs) and self.bank.ratio > 0:
            self.bank.plan(self.plan_demand(annotation))

    def plan_demand(self, annotation: str) -> Counter:
        """Generated glyphs per class that rendering ``annotation`` will ask for, after the draws' decisions of the
        staff just started (an empty Counter where the annotation cannot be parsed)."""
        draws = count_category_draws(self, annotation) or Counter()
        demand: Counter = Counter()
        for name, n in draws.items():
            category = self.TIME_MARKS[name.split(".", 1)[1]] if name.startswith("TIME_MARKS.") else self.categories[name]
            generated = int(self.bank.decisions(name, n).sum())
            for cls in category.sprites.values():
                demand[cls] += generated
        return demand

    @property
    def counts(self) -> StaffCounts:
        """Real and generated draws since the staff started."""
        return self.bank.counts

    @property
    def writer_style(self) -> int | str | None:
        """The staff's hand: a training writer, a novel mixture's description, ``references``, or None."""
        return self.bank.hand

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
                          real=None, bank_cache: bool = True, bank_size: int | None = None,
                          real_classes: Iterable[str] = (), precision: str = "fp32", novel_scale: float = 1.0,
                          style_from: str | os.PathLike | None = None) -> MixedSymbolRepository:
    """Mashcima's real repository over the training writers, mixed with the GAN of ``checkpoint``.

    ``bank_size`` None: every generated glyph fresh; a number: that many per (writer, class) pair, drawn from.
    ``real_classes`` stay real. ``precision``: the GAN's (``auto``: bf16 where the hardware does it natively).
    ``style_from``: a folder of a user's glyph images whose hand every staff's generated glyphs follow.

    ``real`` reuses an already built ``mashcima.SymbolRepository`` (it takes seconds to build). With
    ``bank_cache`` a capped bank's glyphs are kept in ``cache_dir`` (default: ganmash's cache folder), keyed by
    the checkpoint's content, so the next run with the same GAN and seed makes none of them again.
    """
    from gan import load_generator, resolve_device
    from symbol_sources.mashcima_repository import build_mashcima_repository
    from symbol_sources.references import reference_style

    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio must be in [0, 1], got {ratio}")
    real_classes = check_real_classes(real_classes)  # before the seconds of loading
    sampler = load_generator(checkpoint, resolve_device(device), precision)
    references = reference_style(sampler, style_from) if style_from is not None else None
    if real is None:
        real = build_mashcima_repository(muscima_pp, writers=writers, cache_dir=cache_dir)
    repo = MixedSymbolRepository(real, sampler, ratio=ratio, style=style, seed=seed, bank_size=bank_size,
                                 real_classes=real_classes, novel_scale=novel_scale, references=references)
    if bank_cache:
        attach_bank_cache(repo.bank, checkpoint, cache_dir)
    return repo
