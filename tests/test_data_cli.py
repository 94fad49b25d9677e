"""`ganmash data ...` end to end on real data, and its one-line errors."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ganwriting_mashcima.cli import main

pytestmark = pytest.mark.usefixtures("warm_cache")  # MUSCIMA++ parsed once per session


@pytest.fixture
def run(muscima_root):
    def invoke(*args: str):
        return CliRunner().invoke(main, [str(a) for a in args])
    return invoke


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for f in fragments:
        assert f in lines[0]


def test_info_prints_location_and_counts(run, muscima_root):
    r = run("data", "info", "--muscima-pp", muscima_root)
    assert r.exit_code == 0, r.output
    assert str(muscima_root) in r.output and "140 pages, 50 writers" in r.output
    assert "notehead-full" in r.output and "(evaluation)" in r.output


def test_extract_then_show(run, muscima_root, tmp_path):
    out = tmp_path / "glyphs"
    r = run("data", "extract", "--muscima-pp", muscima_root, "--out", out, "--size", 24,
            "--classes", "sharp,flat", "--writers", "1,2")
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["classes"] == ["sharp", "flat"] and m["writers"] == [1, 2]
    r = run("data", "show", out, "--out", tmp_path / "sheet.png")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "sheet.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_dataset_path(run, tmp_path):
    _one_line_error(run("data", "info", "--muscima-pp", tmp_path / "nowhere"), "not a MUSCIMA++ v1.0 folder")


def test_unknown_class(run, muscima_root, tmp_path):
    _one_line_error(run("data", "extract", "--muscima-pp", muscima_root, "--out", tmp_path / "o",
                        "--classes", "notehead"), "unknown class 'notehead'", "notehead-full")


def test_non_empty_output_folder_is_refused_and_kept(run, muscima_root, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    _one_line_error(run("data", "extract", "--muscima-pp", muscima_root, "--out", out), "--overwrite")
    assert (out / "precious.txt").read_text() == "keep me"


def test_unwritable_output_folder(run, muscima_root, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    _one_line_error(run("data", "extract", "--muscima-pp", muscima_root, "--out", blocker / "sub"),
                    f"cannot create {blocker / 'sub'}: {blocker} is not a folder")


def test_show_on_a_folder_that_is_not_a_glyph_set(run, tmp_path):
    _one_line_error(run("data", "show", tmp_path, "--out", tmp_path / "s.png"), "not a glyph set")


@pytest.fixture
def damaged_glyph_set(tmp_path):
    """A real (toy) glyph set whose glyphs.npz the test then replaces."""
    from gan.synthetic import toy_glyph_set

    return toy_glyph_set(n_classes=2, n_writers=2, per_cell=2, image_size=16).save(tmp_path / "glyphs")


@pytest.mark.parametrize("damage", ["truncated", "empty", "random bytes"])
def test_show_on_a_damaged_glyph_archive_is_one_line(run, damaged_glyph_set, tmp_path, damage):
    npz = damaged_glyph_set / "glyphs.npz"
    data = npz.read_bytes()
    npz.write_bytes({"truncated": data[: len(data) // 2], "empty": b"",
                     "random bytes": bytes(range(256)) * 4}[damage])
    _one_line_error(run("data", "show", damaged_glyph_set, "--out", tmp_path / "s.png"),
                    "glyphs.npz is not a readable glyph archive")


def test_show_on_labels_beyond_the_classes_is_one_line(run, damaged_glyph_set, tmp_path):
    import numpy as np

    from gan.files import atomic_save_npz

    with np.load(damaged_glyph_set / "glyphs.npz") as z:
        images, labels = z["images"], z["labels"]
    atomic_save_npz(damaged_glyph_set / "glyphs.npz", images=images, labels=labels + 5)
    _one_line_error(run("data", "show", damaged_glyph_set, "--out", tmp_path / "s.png"),
                    "labels run from 5 to 6, but there are 2 classes")


def test_show_refuses_a_seed_numpy_cannot_take(run, damaged_glyph_set, tmp_path):
    r = run("data", "show", damaged_glyph_set, "--out", tmp_path / "s.png", "--seed", -1)
    assert r.exit_code == 2 and "Invalid value for '--seed'" in r.output and not (tmp_path / "s.png").exists()


def test_extract_with_a_bad_class_creates_no_output_folder(run, muscima_root, tmp_path):
    _one_line_error(run("data", "extract", "--muscima-pp", muscima_root, "--out", tmp_path / "new",
                        "--classes", "notehead"), "unknown class 'notehead'")
    assert not (tmp_path / "new").exists()  # refused inputs write nothing
