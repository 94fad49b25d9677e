"""The GAN as a Smashcima ``GlyphSynthesizer``, and the Smashcima models that use it offline.

Every glyph draw first takes a real glyph from Smashcima's own ``MuscimaPPGlyphSynthesizer`` (same label
mapping, same writer, same use of Smashcima's random stream); with probability ``ratio`` (drawn from a stream
of its own) each sprite of a class the GAN has is then redrawn by the GAN, fitted to the real sprite's box.
The real glyph lends its geometry, as the real sprite does in ``mashcima_provider``: sprite size, origin point
(which Smashcima anchors on the staff: notehead centre, clef line, flag's stem tip, accidental's hollow), and
the glyph's region is rebuilt from the generated ink. So Smashcima's layout and random stream do not depend on
``ratio``: at ratio 0 a page equals the page of ``OfflineHandwrittenModel`` (plain Smashcima) for the same seed,
and pages at other ratios have the same music in the same places, drawn by another hand.

One hand per page: by default (``per-staff``) the GAN writes in the hand of the writer Smashcima's
``MuscimaPPStyleDomain`` picked for the scene. A writer the GAN was not trained on (an evaluation writer the caller
let in, or a GAN trained on fewer writers) gets a fixed stand-in training writer, chosen by (bank seed, writer);
``gan_writer`` says which. With ``novel`` (a new hand per scene) or reference glyphs (the user's hand), the
generated glyphs of a scene share that one hand, while its real glyphs stay Smashcima's writer's: a page then mixes
two hands, as a ratio-0.5 page of training writers never does.

Every generated glyph is fresh by default (``symbol_sources.glyph_draws.FreshGlyphs``; Smashcima's draws are not
planned ahead, so they are made in small per-class chunks); ``bank_size`` keeps the capped bank.
Stems, beams and ledger lines are lines (Smashcima's ``LineSynthesizer``), not glyphs: they stay real.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
import numpy as np
from smashcima.orchestration.BaseHandwrittenModel import BaseHandwrittenModel, BaseHandwrittenScene
from smashcima.scene import ComposedGlyph, Glyph, LabeledRegion
from smashcima.geometry import Contours
from smashcima.scene.SmashcimaLabels import SmashcimaLabels
from smashcima.scene.SmuflLabels import SmuflLabels
from smashcima.synthesis.style.StyleDomain import StyleDomain
from smashcima.synthesis import (GlyphSynthesizer, MuscimaPPGlyphSynthesizer, MzkPaperStyleDomain,
                                 MzkQuiltingPaperSynthesizer, PaperSynthesizer, SolidColorPaperSynthesizer)
from smashcima.assets.AssetRepository import AssetRepository
from smashcima.assets.textures.MzkPaperPatches import MzkPaperPatches

from symbol_sources.glyph_draws import GeneratedGlyphs, attach_bank_cache, glyph_source
from symbol_sources.smashcima_assets import OfflineAssetRepository

PAPERS: tuple[str, ...] = ("auto", "solid", "mzk")

# Label of a glyph (or of a composed glyph's part) that Smashcima's MuscimaPPGlyphSynthesizer returns -> the
# MUSCIMA++ class the GAN draws for it. Its LABEL_MAP decides which labels it serves (and so which we serve):
# half noteheads are its (empty) whole noteheads, small clefs its clefs; a flag is a composed glyph whose
# parts are the isolated 8th and 16th flag strokes.
CLASS_OF_LABEL: dict[str, str] = {
    SmuflLabels.barlineSingle.value: "thin_barline",
    **{label.value: "g-clef" for label in (SmuflLabels.gClef, SmuflLabels.gClefSmall)},
    **{label.value: "f-clef" for label in (SmuflLabels.fClef, SmuflLabels.fClefSmall)},
    **{label.value: "c-clef" for label in (SmuflLabels.cClef, SmuflLabels.cClefSmall)},
    SmuflLabels.noteheadWhole.value: "notehead-empty",
    SmuflLabels.noteheadHalf.value: "notehead-empty",
    SmuflLabels.noteheadBlack.value: "notehead-full",
    SmuflLabels.augmentationDot.value: "duration-dot",
    SmashcimaLabels.isolatedFlag8thUp.value: "8th_flag",
    SmashcimaLabels.isolatedFlag8thDown.value: "8th_flag",
    SmashcimaLabels.isolatedFlag16thUp.value: "16th_flag",
    SmashcimaLabels.isolatedFlag16thDown.value: "16th_flag",
    SmuflLabels.accidentalFlat.value: "flat",
    SmuflLabels.accidentalNatural.value: "natural",
    SmuflLabels.accidentalSharp.value: "sharp",
    SmuflLabels.restWhole.value: "whole_rest",
    SmuflLabels.restHalf.value: "half_rest",
    SmuflLabels.restQuarter.value: "quarter_rest",
    SmuflLabels.rest8th.value: "8th_rest",
    SmuflLabels.rest16th.value: "16th_rest",
}


@dataclass
class SceneCounts:
    """Glyph draws of one scene (one MusicXML file: all its pages)."""
    real: int = 0
    generated: int = 0


def _ink_to_bgra(ink: np.ndarray) -> np.ndarray:
    """Float ink in [0, 1] -> black on transparent BGRA, as Smashcima's MUSCIMA++ sprites are."""
    alpha = np.round(np.clip(ink, 0.0, 1.0) * 255).astype(np.uint8)
    black = np.zeros_like(alpha)
    return np.stack([black, black, black, alpha], axis=2)


class GanGlyphSynthesizer(GlyphSynthesizer):
    """Smashcima's MUSCIMA++ glyphs, a ``ratio`` share of them redrawn by the GAN in the scene writer's hand."""

    def __init__(self, real: MuscimaPPGlyphSynthesizer, bank: GeneratedGlyphs) -> None:
        self.real = real
        self.bank = bank
        self.classes = {label: cls for label, cls in CLASS_OF_LABEL.items() if cls in bank.sampler.classes}
        self.bank.classes = tuple(sorted(set(self.classes.values())))
        self.writer: int | None = None  # Smashcima's writer for the scene
        self.counts = SceneCounts()

    def gan_writer_for(self, writer: int) -> int:
        """The GAN writer whose hand stands for Smashcima's ``writer``: itself when the GAN knows it."""
        writers = self.bank.sampler.writers
        if writer in writers:
            return writer
        pick = np.random.SeedSequence([self.bank.seed, int(writer)]).generate_state(1, np.uint32)[0]
        return int(writers[int(pick) % len(writers)])

    def start_scene(self, writer: int, seed: int) -> None:
        """A new scene of Smashcima's ``writer``; ``seed`` decides which draws are generated and how. The generated
        glyphs take that writer's hand, unless the source has a hand of its own (novel, references, per glyph)."""
        self.writer = int(writer)
        own_hand = self.bank.style != "per-staff" or getattr(self.bank, "references", None) is not None
        self.bank.start_staff(seed, writer=None if own_hand else self.gan_writer_for(writer))
        self.counts = SceneCounts()

    def supports_label(self, label: str) -> bool:
        return self.real.supports_label(label)

    def create_glyph(self, label: str) -> Glyph:
        glyph = self.real.create_glyph(label)  # always: Smashcima's random stream does not depend on ratio
        parts = [g for g in (glyph.sub_glyphs if isinstance(glyph, ComposedGlyph) else [glyph])
                 if g.label in self.classes]
        if not parts:
            return glyph  # a label the GAN has no class for: not a draw of ours
        if self.bank.draw_generated() and self._redraw(glyph, parts):
            self.counts.generated += 1
        else:
            self.counts.real += 1
        return glyph

    def _redraw(self, glyph: Glyph, parts: list[Glyph]) -> bool:
        inks = [[self.bank.generated_sprite(sprite.bitmap[:, :, 3].astype(np.float32) / 255, self.classes[g.label])
                 for sprite in g.sprites] for g in parts]
        if any(not (ink >= 0.5).any() for part in inks for ink in part):
            return False  # a blank glyph would leave no region to annotate: keep the real one
        for g, part_inks in zip(parts, inks):
            for sprite, ink in zip(g.sprites, part_inks):
                sprite.bitmap = _ink_to_bgra(ink)  # same size, same origin point: anchored like the real one
            g.region = _replaced(g.region, Glyph.build_region_from_sprites_alpha_channel(label=g.label,
                                                                                       sprites=g.sprites))
        if isinstance(glyph, ComposedGlyph):  # its region is the union of its parts' (ComposedGlyph.build)
            glyph.region = _replaced(glyph.region, LabeledRegion(space=glyph.space, label=glyph.label, contours=Contours(
                [c for g in glyph.sub_glyphs for c in g.region.get_contours_in_space(glyph.space).polygons])))
        return True


def _replaced(old: LabeledRegion, new: LabeledRegion) -> LabeledRegion:
    old.detach()  # a region belongs to its space's scene graph: the real glyph's would be annotated too
    return new


class PatchIndexPaperStyleDomain(MzkPaperStyleDomain):
    """Smashcima's MZK paper style domain from the patch index it ships, without resolving (downloading) the
    texture bundle: the scene still records a patch, and the random stream is Smashcima's."""

    def __init__(self, rng: random.Random) -> None:
        self.all_patches = MzkPaperPatches.load_patch_index()
        self.rng = rng
        self.current_patch = self.all_patches[0]


class OfflineHandwrittenModel(BaseHandwrittenModel):
    """Smashcima's ``BaseHandwrittenModel`` on ganmash's offline assets: plain Smashcima glyphs.

    ``paper``: ``mzk`` (Smashcima's quilted MZK textures; installed, or downloaded if the assets allow it),
    ``solid`` (white, no asset), ``auto`` (``mzk`` where the textures are installed, else ``solid``).
    ``synthesize(seed=...)`` seeds every random stream, so a page depends only on its input and seed.
    """

    def __init__(self, assets: OfflineAssetRepository, paper: str = "auto") -> None:
        self.assets = assets
        self.paper = resolve_paper(assets, paper)
        self.scene_seed = 0  # set by synthesize(); GanHandwrittenModel derives the GAN's stream from it
        super().__init__()

    def register_services(self) -> None:
        super().register_services()
        c = self.container
        c.instance(AssetRepository, self.assets)  # punq resolves the latest registration
        c.factory(MzkPaperStyleDomain, lambda: PatchIndexPaperStyleDomain(c.resolve(random.Random)))
        c.interface(PaperSynthesizer, MzkQuiltingPaperSynthesizer if self.paper == "mzk" else SolidColorPaperSynthesizer)

    def configure_services(self) -> None:
        # Smashcima's Styler registers the style domains in the order of a set of types, which differs between
        # processes; each domain draws from the one random stream, so the writer a seed gives would too. Sorted
        # by name, a seed gives the same scene in every process (resumed runs match one-shot runs).
        domains = [t for t in self.container.registered_types if issubclass(t, StyleDomain)]
        for domain in sorted(domains, key=lambda t: f"{t.__module__}.{t.__qualname__}"):
            self.styler.register_domain(domain)

    def synthesize(self, file: str | os.PathLike | None = None, data: str | bytes | None = None, score=None,
                   seed: int = 0, format: str | None = None) -> BaseHandwrittenScene:
        """The scene (all pages) of one MusicXML file, string or parsed ``Score`` (copied: a scene takes its
        score into its graph), every random stream seeded from ``seed``."""
        self.rng.seed(seed)
        np.random.seed(seed % 2**32)  # Smashcima's paper quilting draws from numpy's global stream
        self.scene_seed = seed
        return self(file=file, data=data, format=format, score=score, clone_score=True)


class GanHandwrittenModel(OfflineHandwrittenModel):
    """``OfflineHandwrittenModel`` whose glyphs come from ``GanGlyphSynthesizer`` (``ratio`` of them generated)."""

    def __init__(self, assets: OfflineAssetRepository, bank: GeneratedGlyphs, paper: str = "auto") -> None:
        self.bank = bank
        super().__init__(assets, paper)

    def register_services(self) -> None:
        super().register_services()
        c = self.container
        c.factory(GanGlyphSynthesizer, lambda: GanGlyphSynthesizer(c.resolve(MuscimaPPGlyphSynthesizer), self.bank))
        c.interface(GlyphSynthesizer, GanGlyphSynthesizer)

    def resolve_services(self) -> None:
        super().resolve_services()
        self.glyph_synthesizer: GanGlyphSynthesizer = self.container.resolve(GlyphSynthesizer)

    def call(self, score) -> BaseHandwrittenScene:
        # the styler has picked the scene's writer by now (Model.__call__): the GAN takes the same hand
        bank_seed = int(np.random.SeedSequence([self.scene_seed, 0x6A4]).generate_state(1, np.uint32)[0])
        self.glyph_synthesizer.start_scene(self.mpp_style_domain.current_writer, bank_seed)
        return super().call(score)

    @property
    def counts(self) -> SceneCounts:
        """Real and generated glyph draws of the last scene."""
        return self.glyph_synthesizer.counts


def resolve_paper(assets: OfflineAssetRepository, paper: str = "auto") -> str:
    """``auto`` -> ``mzk`` where the MZK textures are installed, else ``solid``; others as given."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    return ("mzk" if assets.has_mzk_paper() else "solid") if paper == "auto" else paper


def open_gan_model(checkpoint: str | os.PathLike, assets: OfflineAssetRepository, ratio: float = 0.5,
                   device: str = "cpu", seed: int = 0, paper: str = "auto",
                   cache_dir: str | os.PathLike | None = None, bank_cache: bool = True,
                   bank_size: int | None = None, precision: str = "fp32", style: str = "per-staff",
                   novel_scale: float = 1.0, style_from: str | os.PathLike | None = None) -> GanHandwrittenModel:
    """A ``GanHandwrittenModel`` on Smashcima ``assets`` (``open_offline_assets``) and the GAN of ``checkpoint``.

    Generated glyphs are fresh unless ``bank_size`` caps them (then, with ``bank_cache``, kept in ``cache_dir`` as
    for ``synthesize-staves``). ``style``: ``per-staff`` (the scene writer's hand), ``per-glyph`` or ``novel``;
    ``style_from``: a folder of the user's glyph images. The first model on new assets extracts Smashcima's
    MUSCIMA++ glyph bundle (minutes, once).
    """
    from gan import load_generator, resolve_device
    from symbol_sources.references import reference_style

    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio must be in [0, 1], got {ratio}")
    sampler = load_generator(checkpoint, resolve_device(device), precision)
    references = reference_style(sampler, style_from) if style_from is not None and bank_size is None else None
    bank = glyph_source(sampler, ratio, style, seed, bank_size, novel_scale, references)
    if bank_cache:
        attach_bank_cache(bank, checkpoint, cache_dir)
    return GanHandwrittenModel(assets, bank, paper)
