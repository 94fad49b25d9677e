"""The measuring stick, checked on the known case: real glyphs passed off as generated."""
import numpy as np
import pytest
import torch

from gan.evaluation import EvalSettings, accuracy_report, frechet_distance, measure, train_classifier
from gan.synthetic import toy_glyph_set

torch.set_num_threads(1)  # tiny networks: more threads only add sync overhead, and thrash on a busy machine

SETTINGS = EvalSettings(n_generated=96, classifier_steps=80, classifier_batch=32, min_fid_samples=5,
                        style_set_size=2)


@pytest.fixture(scope="module")
def glyph_set():
    """Swap for a tiny subset of the real set to test on real glyphs."""
    return toy_glyph_set(n_classes=3, n_writers=3, per_cell=12, image_size=32, seed=0)


@pytest.fixture(scope="module")
def eval_set():
    return toy_glyph_set(n_classes=3, n_writers=3, per_cell=6, image_size=32, seed=1)


def test_frechet_distance_of_a_sample_to_itself_is_zero_and_grows_with_shift():
    f = np.random.default_rng(0).normal(size=(500, 16))
    assert frechet_distance(f, f) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(f, f + 1.0) == pytest.approx(16.0, rel=1e-6)


def test_accuracy_report_per_class_and_missing_classes():
    r = accuracy_report(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), ["a", "b", "c"])
    assert r["overall"] == 0.75 and r["per_class"] == {"a": pytest.approx(2 / 3, abs=1e-4), "b": 1.0, "c": None}


@pytest.fixture(scope="module")
def real_as_generated(glyph_set, eval_set, tmp_path_factory):
    rng = np.random.default_rng(3)

    def generate(labels, writers):  # a "perfect generator": a real glyph of that class by that writer
        out = []
        for y, w in zip(labels, writers):
            pool = np.flatnonzero((glyph_set.labels == y) & (glyph_set.writers == w))
            out.append(glyph_set.images[rng.choice(pool)] / 255.0)
        return np.stack(out)

    return measure(generate, glyph_set, eval_set, tmp_path_factory.mktemp("cache"), SETTINGS)


def test_known_case_gan_test_matches_real_accuracy(real_as_generated):
    r = real_as_generated["gan_test"]
    assert r["real_heldout_accuracy"] > 0.9
    assert r["overall"] == pytest.approx(r["real_heldout_accuracy"], abs=0.1)


def test_known_case_fid_is_at_the_real_vs_real_floor(real_as_generated):
    fid = real_as_generated["fid"]
    assert fid["overall"] <= 1.5 * fid["real_vs_real"] + 1e-3


def test_known_case_gan_train_ratio_is_about_one(real_as_generated):
    assert real_as_generated["gan_train"]["ratio"] == pytest.approx(1.0, abs=0.15)


def test_known_case_style_accuracy_matches_real(real_as_generated):
    s = real_as_generated["style"]
    assert s["writer_accuracy_generated"] == pytest.approx(s["writer_accuracy_real_heldout"], abs=0.2)
    assert s["writer_accuracy_generated"] > 2 * s["chance"]


def test_known_case_set_style_accuracy_matches_real(real_as_generated):
    s = real_as_generated["style"]
    gen, real = s["set_writer_accuracy_generated"], s["set_writer_accuracy_real_heldout"]
    assert gen["sets"] > 0 and real["sets"] > 0
    assert gen["accuracy"] == pytest.approx(real["accuracy"], abs=0.2)


def test_a_set_names_its_writer_where_single_glyphs_rarely_do():
    from gan.evaluation import set_accuracy

    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(10), 40)  # 10 writers, 40 glyphs each
    logits = rng.normal(size=(400, 10))
    logits[np.arange(400), truth] += 0.8  # each glyph leans only slightly to its writer
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    single = (log_p.argmax(1) == truth).mean()
    sets = set_accuracy(log_p, truth, 8, rng)
    assert sets["sets"] == 50  # 40 glyphs per writer -> 5 whole sets of 8, for 10 writers
    assert single < 0.5 < sets["accuracy"]


def test_a_classifier_depends_on_its_seed_only_not_on_the_global_random_state(glyph_set):
    def trained(global_seed):
        torch.manual_seed(global_seed)  # dropout used to draw from here, so evaluations drifted by ~0.01
        clf = train_classifier(glyph_set.images, glyph_set.labels, 3, SETTINGS, torch.device("cpu"), seed=5)
        return clf.state_dict(), torch.rand(1)

    (a, after_a), (b, after_b) = trained(0), trained(1)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert after_a != after_b  # the caller's stream is left where it was


def test_classifiers_are_cached_next_to_the_data(glyph_set, eval_set, tmp_path):
    measure(lambda y, w: glyph_set.images[:len(y)] / 255.0, glyph_set, eval_set, tmp_path,
            EvalSettings(n_generated=20, classifier_steps=5, classifier_batch=8))
    assert (tmp_path / ".ganmash_classifier.pt").is_file()
    assert (tmp_path / ".ganmash_writer_classifier.pt").is_file()


def test_style_code_spread_tells_collapsed_codes_from_distinct_ones():
    from gan.evaluation import style_code_spread

    rng = np.random.default_rng(0)
    collapsed = np.ones((10, 16)) * 3 + rng.normal(0, 1e-3, (10, 16))
    distinct = rng.normal(0, 1, (10, 16))
    assert style_code_spread(collapsed)["mean_cosine"] > 0.999
    assert style_code_spread(collapsed)["relative_spread"] < 0.01
    assert abs(style_code_spread(distinct)["mean_cosine"]) < 0.2
