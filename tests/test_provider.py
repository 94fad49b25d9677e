"""The Mashcima provider: real Mashcima rendering with a repository that mixes in generated glyphs."""
from __future__ import annotations

import random

import mashcima
import numpy as np
import pytest
from mashcima.Sprite import Sprite
from mashcima.SpriteGroup import SpriteGroup
from mashcima.SymbolRepository import SymbolRepository

from symbol_sources.glyph_draws import fit_glyph
from symbol_sources.mashcima_provider import MixedSymbolRepository, install, installed, open_mixed_repository, uninstall

ANNOTATIONS = [
    "clef.G-2 #4 time.4 time.4 q4 q5 | e=3 =e4 h6 | qr q-2 . | w0 |",
    "clef.G-2 b5 q8 q9 N4 e4 * qr | s=2 =s=3 =s=4 =s5 h1 |",
]


@pytest.fixture
def mixed(smoke_checkpoint, muscima_root, real_repository):
    def make(ratio: float, style: str = "per-staff", seed: int = 0, checkpoint=None,
             bank_cache: bool = True, bank_size: int | None = None) -> MixedSymbolRepository:
        return open_mixed_repository(checkpoint or smoke_checkpoint, muscima_root, ratio=ratio, device="cpu",
                                     style=style, seed=seed, real=real_repository, bank_cache=bank_cache,
                                     bank_size=bank_size)
    return make


def _render(annotation: str, seed: int, repo=None) -> np.ndarray:
    random.seed(seed)
    np.random.seed(seed)
    return mashcima.synthesize(annotation, symbol_repository=repo)


def test_ratio_zero_is_bit_identical_to_plain_mashcima(mixed, real_repository):
    with installed(mixed(0.0)):
        ours = [_render(a, seed) for seed, a in enumerate(ANNOTATIONS)]  # through Mashcima's default repository
    plain = [_render(a, seed, real_repository) for seed, a in enumerate(ANNOTATIONS)]
    for a, b in zip(ours, plain):
        assert a.shape == b.shape and np.array_equal(a, b)


def test_ratio_one_generates_every_covered_draw(mixed):
    repo = mixed(1.0)
    repo.start_staff(seed=3)
    _render(ANNOTATIONS[0], 3, repo)
    assert repo.counts.generated > 5 and repo.counts.real == 0


def test_ratio_one_changes_the_image(mixed, real_repository):
    assert not np.array_equal(_render(ANNOTATIONS[0], 1, mixed(1.0)), _render(ANNOTATIONS[0], 1, real_repository))


def test_generated_note_is_a_mashcima_sprite_group_with_real_geometry(mixed, real_repository):
    repo = mixed(1.0)
    real = real_repository.EIGHTH_NOTES[7]
    gen = repo.EIGHTH_NOTES[7]
    assert isinstance(gen, SpriteGroup) and set(gen.sprites) == set(real.sprites) == {"notehead", "stem", "flag_8"}
    assert set(gen.points) == {"stem_head"}
    for name in gen.sprites:
        g, r = gen.sprite(name), real.sprite(name)
        assert (g.x, g.y, g.mask.shape) == (r.x, r.y, r.mask.shape)
        assert g.mask.dtype == np.float32 and 0.0 <= g.mask.min() and g.mask.max() <= 1.0
        assert not np.array_equal(g.mask, r.mask)
    assert real.sprite("notehead").mask is not gen.sprite("notehead").mask  # the real item is untouched


def test_generated_accidental_is_a_sprite_at_the_real_offset(mixed, real_repository):
    gen, real = mixed(1.0).SHARPS[4], real_repository.SHARPS[4]
    assert isinstance(gen, Sprite) and (gen.x, gen.y, gen.mask.shape) == (real.x, real.y, real.mask.shape)
    assert gen.mask.dtype == np.float32 and 0.0 <= gen.mask.min() and gen.mask.max() <= 1.0
    assert not np.array_equal(gen.mask, real.mask)  # a generated glyph, not the real sprite handed back


def test_generated_sizes_follow_the_real_size_distribution(mixed, real_repository):
    repo = mixed(1.0)
    idx = range(0, len(real_repository.QUARTER_NOTES), 50)
    gen = [repo.QUARTER_NOTES[i].sprite("notehead").mask.shape for i in idx]
    real = [real_repository.QUARTER_NOTES[i].sprite("notehead").mask.shape for i in idx]
    assert np.median(np.array(gen), 0) == pytest.approx(np.median(np.array(real), 0), rel=0.15)


def test_categories_the_gan_lacks_stay_real(mixed, real_repository):
    repo = mixed(1.0)
    assert repo.LONGA_RESTS is real_repository.LONGA_RESTS  # no multi-measure-rest class in the GAN
    assert repo.TIME_MARKS["time_4"] is real_repository.TIME_MARKS["time_4"]  # no numeral classes trained


def test_real_classes_stay_real_at_ratio_one(smoke_checkpoint, muscima_root, real_repository):
    repo = open_mixed_repository(smoke_checkpoint, muscima_root, ratio=1.0, device="cpu", seed=0,
                                 real=real_repository, real_classes=["g-clef", "stem"], bank_cache=False)
    assert repo.G_CLEFS is real_repository.G_CLEFS  # a category of only real classes is Mashcima's own list
    note, real = repo.QUARTER_NOTES[3], real_repository.QUARTER_NOTES[3]
    assert np.array_equal(note.sprites["stem"].mask, real.sprites["stem"].mask)  # the real class: real
    assert not np.array_equal(note.sprites["notehead"].mask, real.sprites["notehead"].mask)  # the other: generated
    assert "g-clef" not in repo.bank.classes and "stem" not in repo.bank.classes  # never made


def test_an_unknown_real_class_is_refused_before_loading(muscima_root, tmp_path):
    with pytest.raises(ValueError, match="unknown glyph class.*g_clef; choose from"):
        open_mixed_repository(tmp_path / "no-such.pt", muscima_root, real_classes=["g_clef"])


def test_per_staff_style_keeps_one_writer_per_staff(mixed, smoke_checkpoint):
    repo = mixed(1.0)
    writers = set()
    for seed in range(12):
        repo.start_staff(seed)
        w = repo.writer_style
        _ = [repo.QUARTER_NOTES[i] for i in range(20)]
        assert repo.writer_style == w
        writers.add(w)
    assert len(writers) > 1 and writers <= {1, 2, 3}


def test_per_glyph_style_has_no_staff_writer(mixed):
    repo = mixed(1.0, style="per-glyph")
    repo.start_staff(0)
    assert repo.writer_style is None


def test_a_staff_depends_only_on_its_seed_not_on_the_staves_before_it(mixed):
    a, b = mixed(0.5, seed=1), mixed(0.5, seed=1)
    b.start_staff(3)
    _render(ANNOTATIONS[0], 3, b)  # fills b's glyph bank differently from a's
    a.start_staff(7)
    b.start_staff(7)
    assert np.array_equal(_render(ANNOTATIONS[1], 7, a), _render(ANNOTATIONS[1], 7, b))


def test_the_run_seed_changes_the_generated_glyphs(mixed):
    a, b = mixed(1.0, seed=1), mixed(1.0, seed=2)
    a.start_staff(7)
    b.start_staff(7)
    assert not np.array_equal(_render(ANNOTATIONS[1], 7, a), _render(ANNOTATIONS[1], 7, b))


def test_register_and_unregister_restore_the_previous_default(mixed):
    before = SymbolRepository.DEFAULT_REPOSITORY
    repo = install(mixed(0.5))
    assert SymbolRepository.load_default() is repo
    uninstall()
    assert SymbolRepository.DEFAULT_REPOSITORY is before


def test_ratio_outside_unit_interval_is_refused(mixed):
    with pytest.raises(ValueError, match="ratio must be in"):
        mixed(1.5)


def test_fit_glyph_inverts_to_square():
    from symbol_sources import to_square

    ink = np.zeros((30, 12), np.uint8)
    ink[2:28, 4:8] = 255
    back = fit_glyph(to_square(ink, 64).astype(np.float32) / 255, 30, 12)
    assert back.shape == (30, 12)
    assert np.abs(back - ink / 255).mean() < 0.05


def test_packaged_checkpoint_loads_and_covers_what_mashcima_draws():
    from gan import load_generator
    from ganwriting_mashcima import default_checkpoint
    from symbol_sources.mashcima_provider import CATEGORY_SPRITES

    sampler = load_generator(default_checkpoint(), "cpu")
    wanted = {c for sprites in CATEGORY_SPRITES.values() for c in sprites.values()}
    assert wanted <= set(sampler.classes)
    assert not set(sampler.writers) & {13, 17, 20, 34, 41, 49}
    assert default_checkpoint().stat().st_size < 25e6


PAIR = (2, "sharp")
BANK = 32  # the capped mode's tests: glyphs per (writer, class)


def test_a_pairs_glyphs_are_the_same_filled_alone_or_among_many(mixed):
    alone, among = mixed(0.5, bank_cache=False, bank_size=BANK), mixed(0.5, bank_cache=False, bank_size=BANK)
    alone.bank.batch_pairs = among.bank.batch_pairs = 4
    alone.bank.fill([PAIR])  # one pair, padded to a pass of 4
    among.bank.fill([(w, c) for c in ("stem", "flat", "sharp") for w in (1, 2, 3)])  # PAIR is 5th: second pass
    assert among.bank.made == 9 and np.array_equal(alone.bank.glyphs(*PAIR), among.bank.glyphs(*PAIR))


def test_a_second_repository_reads_the_filled_bank_from_disk(mixed):
    first = mixed(0.5, bank_size=BANK)
    first.fill_for_staves(range(5))
    second = mixed(0.5, bank_size=BANK)
    second.fill_for_staves(range(5))
    assert first.bank.made > 0 and second.bank.made == 0 and second.bank.pairs == first.bank.pairs
    assert np.array_equal(second.bank.glyphs(*PAIR), first.bank.glyphs(*PAIR))


def test_the_bank_cache_is_keyed_by_checkpoint_content_not_path(mixed, smoke_checkpoint, tmp_path):
    from gan.checkpoint import export_sampler

    same = tmp_path / "copy.pt"
    same.write_bytes(smoke_checkpoint.read_bytes())
    other = export_sampler(smoke_checkpoint, tmp_path / "sampler.pt")  # same GAN, other file content
    folder = mixed(0.5, bank_size=BANK).bank.cache.folder
    assert mixed(0.5, checkpoint=same, bank_size=BANK).bank.cache.folder == folder
    assert mixed(0.5, checkpoint=other, bank_size=BANK).bank.cache.folder != folder


def test_a_damaged_bank_cache_file_is_made_again(mixed):
    first = mixed(0.5, bank_size=BANK)
    first.bank.fill([PAIR])
    next(first.bank.cache.folder.glob("*.npy")).write_bytes(b"not a numpy file")
    second = mixed(0.5, bank_size=BANK)
    second.bank.fill([PAIR])
    assert second.bank.made == 1 and np.array_equal(second.bank.glyphs(*PAIR), first.bank.glyphs(*PAIR))


def test_filling_for_staves_covers_every_pair_they_draw(mixed):
    repo = mixed(1.0, bank_cache=False, bank_size=BANK)
    repo.fill_for_staves([7, 8])
    made = repo.bank.made
    for seed, annotation in zip([7, 8], ANNOTATIONS):
        repo.start_staff(seed)
        _render(annotation, seed, repo)
    assert made > 0 and repo.bank.made == made
