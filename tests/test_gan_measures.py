"""The variety measures on cases whose answer is known."""
import numpy as np
import pytest

from gan.measures import (coverage, kid, mean_pairwise_distance, pixel_features, precision_recall, variety_report,
                          writer_retrieval)


def _gaussian(n, seed, shift=0.0, dim=8):
    return np.random.default_rng(seed).normal(size=(n, dim)) + shift


def test_two_samples_of_one_distribution_have_high_precision_and_recall():
    p, r = precision_recall(_gaussian(300, 0), _gaussian(300, 1))
    assert p > 0.8 and r > 0.8


def test_a_generator_that_repeats_one_sample_has_no_recall_and_no_diversity():
    real = _gaussian(300, 0)
    collapsed = np.repeat(real[:1], 300, axis=0)
    _, r = precision_recall(real, collapsed)
    assert r < 0.01
    assert mean_pairwise_distance(collapsed) == 0
    assert mean_pairwise_distance(_gaussian(300, 1)) == pytest.approx(mean_pairwise_distance(real), rel=0.1)


def test_a_shifted_distribution_lowers_precision_and_recall():
    real = _gaussian(300, 0)
    p_same, r_same = precision_recall(real, _gaussian(300, 1))
    p_far, r_far = precision_recall(real, _gaussian(300, 1, shift=2.0))
    assert p_far < p_same - 0.4 and r_far < r_same - 0.4


def test_a_generator_inside_a_corner_of_the_data_is_precise_but_recalls_little():
    real = _gaussian(400, 0)
    tail = _gaussian(4000, 1)
    corner = tail[tail[:, 0] > 1.0][:400]  # as many samples as the real set, all from one tail (16 % of it)
    p, r = precision_recall(real, corner)
    assert p > 0.75 and r < 0.4


def test_kid_is_about_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    same = kid(_gaussian(500, 0), _gaussian(500, 1), rng, subsets=10, subset_size=200)
    far = kid(_gaussian(500, 0), _gaussian(500, 1, shift=1.0), rng, subsets=10, subset_size=200)
    assert abs(same) < 0.05 < far


def test_pixel_features_average_down_to_32_pixels_with_ink_as_one():
    glyphs = np.zeros((2, 64, 64), np.uint8)
    glyphs[0, :2, :2] = 255  # one 2x2 block of ink -> one full pixel at 32x32
    f = pixel_features(glyphs)
    assert f.shape == (2, 32 * 32)
    assert f[0, 0] == pytest.approx(1.0) and f[0].sum() == pytest.approx(1.0) and f[1].sum() == 0


def test_variety_report_compares_equal_numbers_and_gives_both_references():
    rng = np.random.default_rng(0)
    held = (rng.random((120, 8, 8)) * 255).astype(np.uint8)
    held_labels = np.repeat([0, 1, 2], 40)
    held_labels[-15:] = 2  # class 2: 55 glyphs; class 1: 25; class 0: 40
    held_labels[40:80] = 1
    held_labels[65:80] = 2
    train = (rng.random((90, 8, 8)) * 255).astype(np.uint8)
    asked = []

    def generate(c, n):
        asked.append((c, n))
        return rng.random((n, 8, 8))

    r = variety_report(generate, held, held_labels, train, np.repeat([0, 1, 2], 30), ["a", "b", "c"],
                       {"pixels": pixel_features}, np.random.default_rng(1), min_glyphs=30, cap=20)
    assert set(r["per_class"]) == {"a", "c"}  # b has fewer than 30 held-out glyphs
    assert asked == [(0, 20), (2, 20)]  # halves of at most 2 x cap, as many generated as in half A
    assert set(r["per_class"]["a"]["pixels"]) == {"generated", "real_vs_real", "train_writers"}
    # all three candidates are uniform noise here: every one is about as varied as the real half
    for cand in ("generated", "real_vs_real", "train_writers"):
        assert r["summary"]["pixels"][cand]["median_diversity"] == pytest.approx(1.0, abs=0.1)


def test_writer_retrieval_is_perfect_when_features_carry_the_writer_and_at_chance_when_they_do_not():
    rng = np.random.default_rng(0)
    writers = np.repeat(np.arange(6), 40)
    labels = np.tile(np.arange(4), 60)
    # a writer signature plus a large class offset that centring has to remove
    feats = rng.normal(size=(6, 16))[writers] + 10 * rng.normal(size=(4, 16))[labels] + 0.3 * rng.normal(size=(240, 16))
    real = writer_retrieval(feats, writers, labels, lambda r, p, pl: feats[p], np.random.default_rng(1))
    assert real["trials"] == 120 and real["chance"] == pytest.approx(1 / 6, abs=1e-3)
    assert real["accuracy"] > 0.95
    noise = writer_retrieval(feats, writers, labels, lambda r, p, pl: rng.normal(size=(len(p), 16)) * 10,
                             np.random.default_rng(1), trials=100)
    assert noise["accuracy"] < 0.3


def test_coverage_rises_with_the_number_of_samples_from_the_same_distribution():
    real, fake = _gaussian(400, 0), _gaussian(400, 1)
    few, many = coverage(real, fake[:10]), coverage(real, fake)
    assert few < 0.2 < 0.8 < many
    assert coverage(real, np.repeat(fake[:1], 400, axis=0)) < 0.05
