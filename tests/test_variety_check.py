"""experiments.variety_check, the plain per-class check of issue #21, on real glyphs passed off as generated."""
import json
import sys

import numpy as np
import pytest


def _class_images(glyphs, name, writers):
    keep = (glyphs.labels == glyphs.classes.index(name)) & np.isin(glyphs.writers, writers)
    return glyphs.images[keep]


def test_other_real_glyphs_of_the_same_hands_score_as_real_against_real(small_glyph_set):
    from experiments.variety_check import class_variety

    glyphs = _class_images(small_glyph_set, "notehead-full", [1, 2, 3, 5, 6])
    order = np.random.default_rng(0).permutation(len(glyphs))
    real, others = glyphs[order[:500]], glyphs[order[500:]]
    v = class_variety(real, lambda n: others[:n], np.random.default_rng(1), max_n=100)
    assert v["n"] == 100 and v["recall"] > 0.7 and v["precision"] > 0.7
    assert v["recall"] == pytest.approx(v["real_recall"], abs=0.1)


def test_the_ceiling_is_the_training_hands_real_glyphs_against_the_split(small_glyph_set):
    from experiments.variety_check import class_variety

    split, same, other = (_class_images(small_glyph_set, "sharp", w) for w in ([1, 2, 3], [1, 2, 3], [5, 6]))
    as_split = class_variety(split, lambda n: split[:n], np.random.default_rng(0), training=same, max_n=60)
    apart = class_variety(split, lambda n: split[:n], np.random.default_rng(0), training=other, max_n=60)
    assert as_split["ceiling_recall"] > 0.7  # the split's own hands
    assert apart["ceiling_recall"] < as_split["ceiling_recall"] - 0.2  # other hands: far less


def test_a_generator_that_repeats_one_glyph_recalls_almost_nothing(small_glyph_set):
    from experiments.variety_check import class_variety

    real = _class_images(small_glyph_set, "sharp", [1, 2, 3, 5, 6])
    v = class_variety(real, lambda n: np.repeat(real[:1], n, 0), np.random.default_rng(0), max_n=100)
    assert v["recall"] < 0.05 and v["real_recall"] > 0.5


def test_a_class_with_k_or_fewer_real_glyphs_is_left_out_of_the_medians(small_glyph_set):
    from experiments.variety_check import variety_check

    g = small_glyph_set
    keep = (g.labels != g.classes.index("flat")) | (np.cumsum(g.labels == g.classes.index("flat")) <= 3)
    few_flats = g.subset(keep)
    report = variety_check(few_flats, lambda label, n: np.repeat(few_flats.images[:1], n, 0), max_n=50)
    assert report["per_class"]["flat"]["n"] == 3 and report["per_class"]["flat"]["recall"] is None
    recalls = [v["recall"] for name, v in report["per_class"].items() if name != "flat"]
    assert report["median"]["recall"] == pytest.approx(float(np.median(recalls)))


def test_the_command_writes_a_report_with_what_made_it(smoke_checkpoint, muscima, tmp_path, monkeypatch, capsys):
    from conftest import PROVIDER_CLASSES
    from experiments import variety_check
    from symbol_sources import extract_glyph_set

    extract_glyph_set(muscima, size=32, classes=PROVIDER_CLASSES, writers=[13]).save(tmp_path / "eval")
    out = tmp_path / "test.json"
    monkeypatch.setattr(sys, "argv", ["variety_check", "--checkpoint", str(smoke_checkpoint), "--split", "test",
                                      "--data", str(smoke_checkpoint.parent.parent / "glyphs"),
                                      "--eval-data", str(tmp_path / "eval"), "--out", str(out)])
    variety_check.main()
    report = json.loads(out.read_text())
    assert report["split"] == "test" and len(report["provenance"]["checkpoint_sha256"]) == 64
    assert report["per_class"]["notehead-full"]["recall"] is not None
    assert report["per_class"]["notehead-full"]["ceiling_recall"] is not None
    assert "median recall" in capsys.readouterr().out
