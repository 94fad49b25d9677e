"""Fresh generated glyphs (every draw a new GAN sample), new hands, users' hands, and bf16 sampling."""
from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from ganwriting_mashcima.cli import main
from symbol_sources.glyph_draws import FreshGlyphs, GlyphBank
from symbol_sources.mashcima_provider import installed, open_mixed_repository
from symbol_sources.staves import StaffJob, read_manifest, render_staff

STAVES = ["clef.G-2 #4 time.4 time.4 q4 q5 | e=3 =e4 h6 | qr q-2 . | w0 |",
          "clef.G-2 b5 q8 q9 N4 e4 * qr | s=2 =s=3 =s=4 =s5 h1 |",
          "clef.F2 q-4 q-3 #-2 h-2 | e=8 =e=9 =e10 q11 . | hr w0 |"]


@pytest.fixture
def repo(smoke_checkpoint, muscima_root, real_repository):
    def make(ratio: float = 0.5, **kwargs):
        return open_mixed_repository(smoke_checkpoint, muscima_root, ratio=ratio, device="cpu", seed=0,
                                     real=real_repository, bank_cache=False, **kwargs)
    return make


def _record_pasted(source) -> list[str]:
    """Hashes of every generated glyph ``source`` hands out from now on (a spy on the real ``take``)."""
    hashes, take = [], source.take

    def recording(cls):
        glyph = take(cls)
        hashes.append(hashlib.sha1(glyph.tobytes()).hexdigest())
        return glyph

    source.take = recording
    return hashes


def _render_staves(repo, count: int = 9) -> None:
    job = StaffJob(count=count, ratio=repo.bank.ratio)
    for i in range(count):
        render_staff(repo, job, i, STAVES[i % len(STAVES)])


def test_fresh_glyphs_are_the_default_and_never_pasted_twice(repo):
    fresh = repo(1.0)
    assert isinstance(fresh.bank, FreshGlyphs)
    pasted = _record_pasted(fresh.bank)
    _render_staves(fresh)  # the same three annotations three times each: the same draws, other glyphs
    assert len(pasted) > 100 and len(set(pasted)) == len(pasted)


def test_a_capped_bank_pastes_glyphs_again(repo):
    capped = repo(1.0, bank_size=2)  # the control: the spy sees repeats where there are some
    assert isinstance(capped.bank, GlyphBank)
    pasted = _record_pasted(capped.bank)
    _render_staves(capped)
    assert len(set(pasted)) < len(pasted) / 4


def test_a_staffs_plan_is_exactly_what_it_draws(repo):
    """Planned from the annotation before rendering: every planned glyph is pasted, none is made unplanned."""
    fresh = repo(0.5)
    job = StaffJob(count=6, ratio=0.5)
    for i in range(6):
        render_staff(fresh, job, i, STAVES[i % len(STAVES)])
        assert not any(fresh.bank._pools.values()) and not fresh.bank._chunks  # nothing left, no top-up chunk
    assert fresh.bank.made == fresh.bank.pasted > 0


def test_without_a_plan_mashcimas_own_api_still_gets_fresh_glyphs(repo):
    import mashcima

    fresh = repo(1.0)
    pasted = _record_pasted(fresh.bank)
    with installed(fresh):  # Mashcima reads CONFIG per staff: a new staff, no annotation known in advance
        for annotation in STAVES * 2:
            mashcima.synthesize_for_beauty(annotation)
    assert fresh.bank.made > fresh.bank.pasted and len(set(pasted)) == len(pasted) > 60  # chunks: some unused


def test_the_plan_does_not_change_the_staff_mashcima_renders_at_ratio_0(repo, real_repository):
    job = StaffJob(count=1, ratio=0.0)
    ours = render_staff(repo(0.0), job, 0, STAVES[0])
    import random
    import mashcima

    random.seed(job.staff_seed(0))
    np.random.seed(job.staff_seed(0))
    plain = mashcima.synthesize_for_training(STAVES[0], symbol_repository=real_repository)
    assert np.array_equal(ours, np.round((1.0 - np.clip(plain, 0.0, 1.0)) * 255).astype(np.uint8))


def test_novel_hands_are_new_per_staff_and_recorded(repo):
    novel = repo(1.0, style="novel")
    hands = []
    for seed in range(5):
        novel.start_staff(seed)
        hands.append(novel.writer_style)
    assert all(h.startswith("novel ") for h in hands) and len(set(hands)) == 5


def test_a_novel_hand_is_a_convex_mixture_pushed_out_by_its_scale():
    from gan import novel_hand

    styles = torch.randn(6, 4)
    writers = (10, 11, 12, 13, 14, 15)
    plain = novel_hand(styles, writers, np.random.default_rng(3), scale=1.0)
    pushed = novel_hand(styles, writers, np.random.default_rng(3), scale=2.0)
    rows = torch.as_tensor([writers.index(p) for p in plain.parents])
    assert 2 <= len(plain.parents) <= 3 and sum(plain.weights) == pytest.approx(1.0) and min(plain.weights) > 0
    assert torch.allclose(plain.code, torch.as_tensor(plain.weights) @ styles[rows], atol=1e-6)
    centre = styles.mean(0)
    assert torch.allclose(pushed.code - centre, 2 * (plain.code - centre), atol=1e-5)


def _write_references(folder, images, classes):
    folder.mkdir()
    for j, (image, cls) in enumerate(zip(images, classes)):
        cv2.imwrite(str(folder / f"{cls}_{j}.png"), 255 - image)  # dark ink on white, as a scan is
    return folder


@pytest.fixture(scope="module")
def validation_glyphs(muscima):
    """Real 64 px glyphs of four validation writers (kept out of the packaged GAN's training)."""
    from symbol_sources import extract_glyph_set

    return extract_glyph_set(muscima, size=64, writers=[4, 11, 21, 28],
                             classes=["notehead-full", "notehead-empty", "sharp", "flat", "natural", "quarter_rest",
                                      "8th_flag", "g-clef", "stem", "duration-dot"])


def test_style_from_references_moves_writer_features_to_their_writer(validation_glyphs, tmp_path):
    """From 16 glyphs of an unseen writer, the generated glyphs' class-centred writer features are nearer that
    writer's other real glyphs than any other of the four writers' (measured distances: own 1.06-1.35, nearest
    other 1.53-2.35). The generated glyphs are of the classes of the writer's own held-out glyphs, so both sides of
    each distance have the same mix of classes."""
    from gan import load_generator
    from gan.checkpoint import glyphs_to_tensor
    from ganwriting_mashcima import default_checkpoint
    from symbol_sources.references import reference_style

    sampler = load_generator(default_checkpoint(), "cpu")
    g = validation_glyphs
    names = np.array(g.classes)[g.labels]

    def mean_feature(images, classes):
        labels = torch.tensor(sampler.class_indices(list(classes)))
        with torch.inference_mode():
            return sampler.generator.style_encoder.features(glyphs_to_tensor(images), labels).mean(0)

    order = {w: np.random.default_rng(0).permutation(np.flatnonzero(g.writers == w)) for w in (4, 11, 21, 28)}
    refs, held = {w: o[:16] for w, o in order.items()}, {w: o[16:] for w, o in order.items()}
    real = {w: mean_feature(g.images[idx], names[idx]) for w, idx in held.items()}
    for w, idx in refs.items():
        code = reference_style(sampler, _write_references(tmp_path / f"w{w}", g.images[idx], names[idx]))
        probe = list(names[held[w][:200]])
        generated = mean_feature(sampler.sample_rows(probe, code[None].expand(len(probe), -1), seed=1), probe)
        distance = {v: float((generated - r).norm()) for v, r in real.items()}
        assert min(distance, key=distance.get) == w, distance


def test_bf16_and_fp32_glyphs_differ_only_slightly(smoke_checkpoint):
    """Measured on the packaged GAN: mean |fp32 - bf16| = 0.001 of the ink scale, at most 0.17 in a pixel."""
    from gan import load_generator

    fp32, bf16 = load_generator(smoke_checkpoint, "cpu", "fp32"), load_generator(smoke_checkpoint, "cpu", "bf16")
    names = [fp32.classes[i % len(fp32.classes)] for i in range(32)]
    styles = fp32.writer_styles[torch.arange(32) % len(fp32.writers)]
    a, b = fp32.sample_rows(names, styles, seed=5), bf16.sample_rows(names, styles, seed=5)
    assert not np.array_equal(a, b) and np.abs(a - b).mean() < 0.01 and np.abs(a - b).max() < 0.5


def test_precision_auto_resolves_to_what_the_hardware_runs_natively():
    from gan import native_bf16, resolve_precision

    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu) == ("bf16" if native_bf16(cpu) else "fp32")
    assert resolve_precision("fp32", cpu) == "fp32"


def test_cli_records_precision_and_style_from_and_writes_in_that_hand(smoke_checkpoint, mini_muscima,
                                                                       small_glyph_set, tmp_path):
    refs = _write_references(tmp_path / "refs", small_glyph_set.images[:8],
                             np.array(small_glyph_set.classes)[small_glyph_set.labels[:8]])
    annotations = tmp_path / "staves.txt"
    annotations.write_text("\n".join(STAVES[:2]) + "\n")
    r = CliRunner().invoke(main, ["synthesize-staves", "--out", str(tmp_path / "o"), "--annotations", str(annotations),
                                  "--ratio", "1",
                                  "--checkpoint", str(smoke_checkpoint), "--muscima-pp", str(mini_muscima),
                                  "--style-from", str(refs), "--precision", "bf16", "--device", "cpu"])
    assert r.exit_code == 0, r.output
    config = json.loads((tmp_path / "o" / "config.json").read_text())
    assert config["precision"] == "bf16" and config["style_from"] == str(refs.resolve())
    assert config["bank_size"] is None and len(config["style_from_sha256"]) == 64
    assert {rec["writer_style"] for rec in read_manifest(tmp_path / "o")} == {"references"}
