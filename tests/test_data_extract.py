"""Glyph-set extraction from MUSCIMA++ and from class folders, with cleaning."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from gan.glyphset import GlyphSet, GlyphSetError
from symbol_sources import (EVALUATION_WRITERS, MuscimaError, default_classes, extract_from_folders,
                            extract_glyph_set, to_square)


def test_default_classes_are_mashcima_primitives_present_in_the_data(muscima):
    classes = default_classes(muscima)
    assert {"notehead-full", "stem", "g-clef", "ledger_line", "whole-time_mark", "numeral_4"} <= set(classes)
    assert "beam" not in classes and "staff_line" not in classes


def test_evaluation_writers_are_excluded_by_default(muscima):
    g = extract_glyph_set(muscima, size=16, classes=["g-clef"])
    assert len(g.images) > 0
    assert not set(g.writer_ids) & set(EVALUATION_WRITERS)
    assert len(g.writer_ids) == 44


def test_evaluation_writers_only_when_named_explicitly(muscima):
    g = extract_glyph_set(muscima, size=16, classes=["g-clef"], writers=[13, 17])
    assert g.writer_ids == [13, 17]


def test_exclude_writers_replaces_the_default_list(muscima):
    g = extract_glyph_set(muscima, size=16, classes=["g-clef"], exclude_writers=[1])
    assert 13 in g.writer_ids and 1 not in g.writer_ids


def test_unknown_class_lists_the_valid_ones(muscima):
    with pytest.raises(MuscimaError, match="unknown class 'g_clef'.*g-clef"):
        extract_glyph_set(muscima, classes=["g_clef"])


def test_glyph_is_centred_and_keeps_its_aspect_ratio():
    tall = np.zeros((40, 10), np.uint8)
    tall[:, 3:7] = 255
    sq = to_square(tall, 20)
    cols = np.flatnonzero(sq.max(0) > 127)
    assert sq.shape == (20, 20)
    assert sq[:, 10].min() > 127  # a full-height stroke through the middle
    assert cols.min() >= 8 and cols.max() <= 11  # 4 px of 40 -> 2 px of 20, centred


def test_manifest_records_counts_sizes_writers_and_pages(small_glyph_set, tmp_path):
    small_glyph_set.save(tmp_path)
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["classes"] == ["notehead-full", "sharp", "flat", "quarter_rest"]
    assert sum(m["class_counts"].values()) == m["n_glyphs"] == len(small_glyph_set.images)
    assert m["writers"] == [1, 2, 3, 5, 6] and m["image_size"] == 32
    assert len(m["glyphs"]["height"]) == m["n_glyphs"] and set(m["glyphs"]["writer"]) == {1, 2, 3, 5, 6}
    assert min(m["glyphs"]["page"]) >= 1


def test_glyph_set_round_trips(small_glyph_set, tmp_path):
    small_glyph_set.save(tmp_path)
    back = GlyphSet.load(tmp_path)
    np.testing.assert_array_equal(back.images, small_glyph_set.images)
    np.testing.assert_array_equal(back.labels, small_glyph_set.labels)
    np.testing.assert_array_equal(back.orig_hw, small_glyph_set.orig_hw)
    assert back.classes == small_glyph_set.classes


def test_loading_a_folder_that_is_not_a_glyph_set_is_a_clear_error(tmp_path):
    with pytest.raises(GlyphSetError, match="not a glyph set"):
        GlyphSet.load(tmp_path)


def _write(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


def test_from_folders_reads_classes_and_drops_empty_degenerate_and_duplicate(tmp_path):
    paper = np.full((30, 30), 255, np.uint8)
    ring = cv2.circle(paper.copy(), (15, 15), 9, 0, 3)
    cross = cv2.line(cv2.line(paper.copy(), (5, 5), (25, 25), 0, 3), (25, 5), (5, 25), 0, 3)
    speck = paper.copy()
    speck[10:12, 10:12] = 0
    _write(tmp_path / "ring" / "a.png", ring)
    _write(tmp_path / "ring" / "b.png", ring)  # duplicate
    _write(tmp_path / "ring" / "c.png", paper)  # empty
    _write(tmp_path / "cross" / "a.png", cross)
    _write(tmp_path / "cross" / "b.png", speck)  # degenerate: 2x2 px
    (tmp_path / "cross" / "broken.png").write_bytes(b"not a png")
    g = extract_from_folders(tmp_path, size=24)
    assert g.classes == ("cross", "ring") and g.class_counts() == {"cross": 1, "ring": 1}
    assert g.dropped == {"empty": 1, "degenerate": 1, "duplicate": 1, "unreadable": 1}
    assert g.images.shape == (2, 24, 24) and g.images.max() == 255  # dark-on-light became ink = 255


def test_from_folders_without_class_folders_is_a_clear_error(tmp_path):
    with pytest.raises(MuscimaError, match="no class sub-folders"):
        extract_from_folders(tmp_path)


def test_a_save_that_fails_midway_leaves_the_old_set_whole(tmp_path):
    """The new glyphs.npz fits under a file-size limit, its manifest (a row per glyph) does not: the save fails
    after the archive is written, as a crash would. The folder must still be the old set, both files of it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from gan.synthetic import toy_glyph_set

    repo = Path(__file__).resolve().parent.parent
    old = toy_glyph_set(n_classes=2, n_writers=2, per_cell=2, image_size=8).save(tmp_path / "set")
    code = f"""
import resource, signal
import numpy as np
from gan.glyphset import GlyphSet
n = 3000
new = GlyphSet(np.zeros((n, 8, 8), np.uint8), np.zeros(n, np.int64), ("a",), np.ones(n, np.int32),
               np.ones(n, np.int32), np.full((n, 2), 8, np.int32))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, resource.RLIM_INFINITY))
new.save({str(old)!r})
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo,
                         env={**os.environ, "PYTHONPATH": str(repo)})
    assert res.returncode != 0 and "File too large" in res.stderr, res.stderr
    back = GlyphSet.load(old)
    assert len(back.images) == 8 and back.image_size == 8  # the old set, archive and manifest together
    assert [p.name for p in tmp_path.iterdir()] == ["set"]  # no half-written set beside it
