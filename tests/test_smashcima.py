"""The Smashcima backend: real Smashcima, the packaged GAN, a MUSCIMA++ of a few pages (its glyph bundle is
extracted in seconds), one tiny MusicXML score. Skipped where the smashcima extra is not installed."""
from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("smashcima", reason="the smashcima extra is not installed (pip install -e '.[smashcima]')")

from click.testing import CliRunner  # noqa: E402

from ganwriting_mashcima.cli import main  # noqa: E402
from ganwriting_mashcima.provider import default_checkpoint  # noqa: E402

# A few measures: G clef, 4/4, quarter, sharp, half, quarter rest, dotted flat quarter, eighth (a flag), whole.
TINY_MUSICXML = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="4.0">
  <part-list><score-part id="P1"><part-name>Piano</part-name></score-part></part-list>
  <part id="P1">
    <measure number="1">
      <attributes><divisions>2</divisions><key><fifths>0</fifths></key>
        <time><beats>4</beats><beat-type>4</beat-type></time><clef><sign>G</sign><line>2</line></clef></attributes>
      <note><pitch><step>C</step><octave>5</octave></pitch><duration>2</duration><type>quarter</type><stem>down</stem></note>
      <note><pitch><step>F</step><alter>1</alter><octave>4</octave></pitch><duration>2</duration><type>quarter</type>
        <accidental>sharp</accidental><stem>up</stem></note>
      <note><pitch><step>A</step><octave>4</octave></pitch><duration>4</duration><type>half</type><stem>up</stem></note>
    </measure>
    <measure number="2">
      <note><rest/><duration>2</duration><type>quarter</type></note>
      <note><pitch><step>B</step><alter>-1</alter><octave>4</octave></pitch><duration>3</duration><type>quarter</type>
        <dot/><accidental>flat</accidental><stem>down</stem></note>
      <note><pitch><step>G</step><octave>4</octave></pitch><duration>1</duration><type>eighth</type><stem>up</stem></note>
      <note><pitch><step>E</step><octave>5</octave></pitch><duration>2</duration><type>quarter</type><stem>down</stem></note>
    </measure>
    <measure number="3">
      <note><pitch><step>D</step><octave>5</octave></pitch><duration>8</duration><type>whole</type></note>
    </measure>
  </part>
</score-partwise>
"""
MINI_WRITERS = (1, 2, 13)  # two training writers and an evaluation writer, whose glyphs must never be drawn


@pytest.fixture(scope="module")
def mini_mpp(tmp_path_factory, muscima_root) -> Path:
    """MUSCIMA++ of the pages of writers 1, 2 and 13 (links, not copies)."""
    root = tmp_path_factory.mktemp("mini-mpp") / "v1.0"
    pages = root / "data" / "cropobjects_withstaff"
    pages.mkdir(parents=True)
    for w in MINI_WRITERS:
        for page in (muscima_root / "data" / "cropobjects_withstaff").glob(f"CVC-MUSCIMA_W-{w:02d}_*-ideal.xml"):
            (pages / page.name).symlink_to(page)
    return root


@pytest.fixture(scope="module")
def assets_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("smashcima-cache")


@pytest.fixture(scope="module")
def score_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scores") / "tiny.musicxml"
    path.write_text(TINY_MUSICXML)
    return path


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test (and is recorded, in case Smashcima swallows the error)."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return attempts


@pytest.fixture(scope="module")
def assets(mini_mpp, assets_cache):
    from symbol_sources.smashcima_assets import open_offline_assets

    return open_offline_assets(mini_mpp, assets_cache)


def gan_model(assets, assets_cache, ratio: float, **kwargs):
    from symbol_sources.smashcima_provider import open_gan_model

    return open_gan_model(default_checkpoint(), assets, ratio=ratio, device="cpu", seed=0, cache_dir=assets_cache,
                          **kwargs)


@pytest.fixture(scope="module")
def score(score_file):
    from symbol_sources.pages import load_musicxml

    return load_musicxml(score_file)


def test_cv2_is_opencv_contrib_and_serves_mashcima_and_smashcima():
    """One venv, three packages writing cv2/: the binary on disk is contrib's, and both libraries run on it."""
    import hashlib
    import base64
    from importlib.metadata import files

    import cv2
    from mashcima.transform_image import transform_image
    from mashcima.utils import get_connected_components_not_touching_image_border
    from smashcima.assets.glyphs.mung.extraction.get_line_endpoints import get_line_endpoints

    binaries = [f for f in files("opencv-contrib-python") if f.parts[0] == "cv2" and f.name.endswith(".so")]
    assert binaries
    for f in binaries:
        algorithm, expected = f.hash.mode, f.hash.value
        digest = base64.urlsafe_b64encode(hashlib.new(algorithm, f.locate().read_bytes()).digest()).rstrip(b"=")
        assert digest.decode() == expected, f"{f} is not opencv-contrib-python's: reinstall it last"
    ring = np.zeros((20, 20), np.uint8)
    ring[4:16, 4:16], ring[8:12, 8:12] = 1, 0
    assert len(get_connected_components_not_touching_image_border(ring)) == 1  # mashcima: connectedComponents
    assert transform_image(np.ones((30, 30), np.float32)).ndim == 2  # mashcima: warpAffine and friends
    line = np.zeros((40, 10), np.uint8)
    line[5:35, 4:6] = 1
    assert len(get_line_endpoints(line)) == 2  # smashcima: cv2.ximgproc.thinning (contrib only), findNonZero


def test_assets_install_offline_and_leave_out_evaluation_writers(assets, no_network):
    from smashcima.assets.datasets.MuscimaPP import MuscimaPP
    from smashcima.assets.glyphs.muscima_pp.MuscimaPPGlyphs import MuscimaPPGlyphs

    bundle = assets.resolve_bundle(MuscimaPPGlyphs)
    assert (assets.path / "MuscimaPP" / "v1.0").is_symlink()  # linked, not copied or downloaded
    assert assets.resolve_bundle(MuscimaPP).cropobjects_directory.is_dir()
    styles = {int(s) for s in bundle.load_symbol_repository().get_all_styles()}
    assert styles == {1, 2}  # writer 13 is an evaluation writer
    assert not assets.has_mzk_paper()
    assert no_network == []


def test_a_page_needs_no_download_and_mzk_paper_is_never_fetched_unasked(assets, assets_cache, score, no_network):
    from symbol_sources.smashcima_extra import SmashcimaAssetsError
    from symbol_sources.smashcima_provider import OfflineHandwrittenModel

    model = gan_model(assets, assets_cache, 0.5)
    assert model.paper == "solid"  # no MZK textures installed here
    scene = model.synthesize(score=score, seed=1)
    assert scene.render(scene.pages[0]).shape[2] == 4
    with pytest.raises(SmashcimaAssetsError, match="downloads nothing unless asked"):
        OfflineHandwrittenModel(assets, paper="mzk")
    assert no_network == []


def test_ratio_0_is_plain_smashcima_and_other_ratios_keep_its_layout(assets, assets_cache, score):
    """Plain Smashcima = ``OfflineHandwrittenModel`` (Smashcima's model on the same offline assets and paper).
    The GAN synthesizer always draws the real glyph through Smashcima's random stream and decides on its own
    stream, so ratio 0 is bit-identical; at ratio 1 every glyph is redrawn in place: same glyph boxes."""
    from smashcima.exporting.MungExporter import MungExporter

    from symbol_sources.smashcima_provider import OfflineHandwrittenModel

    plain = OfflineHandwrittenModel(assets, paper="solid")
    pages = {}
    for ratio in (0.0, 1.0):
        model = gan_model(assets, assets_cache, ratio)
        scene = model.synthesize(score=score, seed=5)
        pages[ratio] = (scene.render(scene.pages[0]), model.counts, scene)
    reference = plain.synthesize(score=score, seed=5)
    assert np.array_equal(pages[0.0][0], reference.render(reference.pages[0]))
    assert pages[0.0][1].generated == 0 and pages[0.0][1].real > 10
    assert pages[1.0][1].real == 0 and pages[1.0][1].generated == pages[0.0][1].real
    assert not np.array_equal(pages[1.0][0], pages[0.0][0])

    def labels(scene):
        return [n.find("ClassName").text for n in MungExporter().export(scene.compose_page(scene.pages[0]))]
    assert labels(pages[1.0][2]) == labels(reference)


def test_generated_share_and_one_hand_per_scene(assets, assets_cache, score):
    model = gan_model(assets, assets_cache, 0.5)
    source = model.glyph_synthesizer.bank
    pasted, take = [], source.take
    source.take = lambda cls: pasted.append(take(cls)) or pasted[-1]  # a spy on the real take
    generated = real = 0
    for seed in range(12):
        scene = model.synthesize(score=score, seed=seed)
        assert scene.mpp_writer in (1, 2)
        assert source.hand == scene.mpp_writer  # a GAN training writer: its own hand, for the whole scene
        generated, real = generated + model.counts.generated, real + model.counts.real
    assert generated + real > 150
    assert 0.4 < generated / (generated + real) < 0.6
    assert len({g.tobytes() for g in pasted}) == len(pasted) >= generated  # fresh: no generated glyph twice


def test_a_capped_bank_draws_from_the_scene_writers_pairs(assets, assets_cache, score):
    model = gan_model(assets, assets_cache, 0.5, bank_size=32)
    bank = model.glyph_synthesizer.bank
    for seed in range(4):
        before = set(bank._glyphs)
        scene = model.synthesize(score=score, seed=seed)
        assert bank.writer == scene.mpp_writer
        assert {w for w, _ in set(bank._glyphs) - before} <= {scene.mpp_writer}  # generated glyphs: one hand


def test_novel_hands_on_pages_leave_the_real_glyphs_to_smashcimas_writer(assets, assets_cache, score):
    model = gan_model(assets, assets_cache, 0.5, style="novel")
    source = model.glyph_synthesizer.bank
    hands = set()
    for seed in range(3):
        scene = model.synthesize(score=score, seed=seed)
        assert scene.mpp_writer in (1, 2) and model.glyph_synthesizer.writer == scene.mpp_writer
        assert source.hand.startswith("novel ") and source.writer is None
        hands.add(source.hand)
    assert len(hands) == 3


def test_writer_the_gan_lacks_gets_a_fixed_training_writer(assets, assets_cache):
    synthesizer = gan_model(assets, assets_cache, 0.5).glyph_synthesizer
    stand_in = synthesizer.gan_writer_for(13)
    assert stand_in in synthesizer.bank.sampler.writers and stand_in != 13
    assert synthesizer.gan_writer_for(13) == stand_in
    assert synthesizer.gan_writer_for(2) == 2


def test_cli_writes_pages_mung_manifest_and_resumes(mini_mpp, assets_cache, score_file, tmp_path):
    out = tmp_path / "pages"
    args = ["synthesize-pages", "--musicxml", str(score_file), "--ratio", "0.5", "--count", "2", "--seed", "3",
            "--out", str(out), "--muscima-pp", str(mini_mpp), "--cache-dir", str(assets_cache), "--device", "cpu"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["index"] for r in records] == [0, 1]
    for r in records:
        assert r["source"] == str(score_file.resolve()) and r["writer"] in (1, 2) and r["gan_writer"] == r["writer"]
        assert r["generated"] + r["real"] > 10
        for page in r["pages"]:
            assert (out / page["image"]).stat().st_size > 0
            assert "<ClassName>smufl::noteheadBlack</ClassName>" in (out / page["mung"]).read_text()
    config = json.loads((out / "config.json").read_text())
    assert config["paper"] == "solid" and config["excluded_writers"] == [13, 17, 20, 34, 41, 49]
    again = CliRunner().invoke(main, args + ["--resume"])
    assert again.exit_code == 0 and "2 already there" in again.output
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "--resume" in refused.output


def test_bad_musicxml_is_one_line_error_and_writes_nothing(mini_mpp, assets_cache, score_file, tmp_path):
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<score-partwise><part-list></part-list>")  # cut short
    out = tmp_path / "pages"
    result = CliRunner().invoke(main, ["synthesize-pages", "--musicxml", str(score_file), "--musicxml", str(bad),
                                       "--out", str(out), "--muscima-pp", str(mini_mpp),
                                       "--cache-dir", str(assets_cache)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
    assert "bad.musicxml" in result.output
    assert not out.exists()


def test_a_corpus_tune_exported_to_musicxml_renders_into_pages(mini_mpp, assets_cache, tmp_path):
    scores = tmp_path / "scores"
    exported = CliRunner().invoke(main, ["annotations", "to-musicxml", "--out", str(scores),
                                         "--collections", "ryansMammoth", "--limit", "1", "--seed", "2"])
    assert exported.exit_code == 0, exported.output
    out = tmp_path / "pages"
    result = CliRunner().invoke(main, ["synthesize-pages", "--musicxml-dir", str(scores), "--ratio", "0.5",
                                       "--out", str(out), "--muscima-pp", str(mini_mpp),
                                       "--cache-dir", str(assets_cache), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    record, = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert not record.get("skipped"), record.get("error")
    assert record["generated"] > 0 and record["pages"]


def _pages(args, out, mini_mpp, assets_cache):
    return CliRunner().invoke(main, ["synthesize-pages", *args, "--ratio", "0", "--out", str(out), "--muscima-pp",
                                     str(mini_mpp), "--cache-dir", str(assets_cache), "--device", "cpu"])


def test_a_score_without_stem_directions_gets_them_and_renders_as_with_them(mini_mpp, assets_cache, score_file,
                                                                            tmp_path):
    import cv2

    stemless = tmp_path / "stemless.musicxml"
    stemless.write_text(re.sub(r"<stem>\w+</stem>", "", TINY_MUSICXML))  # as some notation programs export
    stated = _pages(["--musicxml", str(score_file)], tmp_path / "stated", mini_mpp, assets_cache)
    added = _pages(["--musicxml", str(stemless)], tmp_path / "added", mini_mpp, assets_cache)
    assert stated.exit_code == 0 and added.exit_code == 0, added.output
    assert "stemless.musicxml: 6 notes state no stem direction" in added.output  # the whole note needs none
    page = "pages/000000-1.png"
    assert np.array_equal(cv2.imread(str(tmp_path / "stated" / page)), cv2.imread(str(tmp_path / "added" / page)))


def test_every_skipped_scene_says_why(mini_mpp, assets_cache, tmp_path):
    """Run as a user runs it, in a process of its own: pytest's warning filters would hide that Smashcima's
    imports (augraphy) switch every warning off."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    unsupported = tmp_path / "sixty-fourth.musicxml"
    unsupported.write_text(TINY_MUSICXML.replace("<type>eighth</type>", "<type>64th</type>"))  # Smashcima has no flag
    result = subprocess.run(
        [sys.executable, "-m", "ganwriting_mashcima.cli", "synthesize-pages", "--musicxml", str(unsupported),
         "--count", "2", "--ratio", "0", "--out", str(tmp_path / "pages"), "--muscima-pp", str(mini_mpp),
         "--cache-dir", str(assets_cache), "--device", "cpu"],
        capture_output=True, text=True, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)})
    assert result.returncode == 1, result.stderr
    for i in (0, 1):
        assert f"skipped scene {i}: Smashcima cannot render {unsupported} (KeyError: 'smufl::flag64thUp')" \
            in result.stderr
    assert result.stderr.strip().splitlines()[-1] == ("Error: Smashcima rendered none of the 2 scenes (the first, "
                                                      "scene 0: KeyError: 'smufl::flag64thUp')")


def test_overwrite_with_a_bad_score_keeps_the_old_pages(mini_mpp, assets_cache, score_file, tmp_path):
    out = tmp_path / "pages"
    assert _pages(["--musicxml", str(score_file)], out, mini_mpp, assets_cache).exit_code == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<score-partwise><part-list></part-list>")  # cut short
    result = _pages(["--musicxml", str(bad), "--overwrite"], out, mini_mpp, assets_cache)
    assert result.exit_code == 1 and result.output.strip().splitlines()[-1].startswith("Error: ")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_overwrite_with_fewer_scenes_leaves_no_page_of_the_old_job(mini_mpp, assets_cache, score_file, tmp_path):
    out = tmp_path / "pages"
    assert _pages(["--musicxml", str(score_file), "--count", "2"], out, mini_mpp, assets_cache).exit_code == 0
    (out / "pages" / "cover.png").write_bytes(b"mine")
    result = _pages(["--musicxml", str(score_file), "--count", "1", "--overwrite"], out, mini_mpp, assets_cache)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "pages").iterdir()) == ["000000-1.png", "cover.png"]
    assert sorted(p.name for p in (out / "mung").iterdir()) == ["000000-1.xml"]
