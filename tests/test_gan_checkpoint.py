"""Checkpoint validation and the sampling API."""
import numpy as np
import pytest
import torch

from gan.checkpoint import CheckpointError, load_checkpoint, load_generator, save_checkpoint
from gan.config import PRESETS, ConfigError
from gan.synthetic import toy_glyph_set
from gan.training import train

torch.set_num_threads(1)  # tiny networks: more threads only add sync overhead, and thrash on a busy machine

TINY = PRESETS["cpu-smoke"].replace(epochs=1, glyphs_per_epoch=16, batch_size=8, channels=4, style_dim=8, z_dim=4,
                                    class_dim=4, k_refs=2)


@pytest.fixture(scope="module")
def glyph_set():
    """Swap for a tiny subset of the real set to test on real glyphs."""
    return toy_glyph_set(n_classes=3, n_writers=2, per_cell=4, image_size=32)


@pytest.fixture(scope="module")
def checkpoint(glyph_set, tmp_path_factory):
    root = tmp_path_factory.mktemp("ck")
    train(TINY, glyph_set.save(root / "glyphs"), root / "run", progress=False, log=lambda s: None)
    return root / "run" / "latest.pt"


def test_truncated_checkpoint_is_a_one_line_checkpoint_error(checkpoint, tmp_path):
    bad = tmp_path / "cut.pt"
    bad.write_bytes(checkpoint.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="not a readable ganmash checkpoint") as e:
        load_checkpoint(bad)
    assert "\n" not in str(e.value)


def test_foreign_torch_file_is_rejected(tmp_path):
    torch.save({"model": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a ganmash GAN checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_non_torch_file_is_rejected(tmp_path):
    (tmp_path / "notes.pt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(tmp_path / "notes.pt")


def test_file_that_would_run_code_is_rejected_not_executed(tmp_path):
    class Evil:
        def __reduce__(self):
            return (exec, ("raise SystemExit('executed')",))

    torch.save({"format": "ganmash-gan-checkpoint", "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "evil.pt")


def test_wrong_version_is_rejected(checkpoint, tmp_path):
    ck = load_checkpoint(checkpoint)
    ck["version"] = 99
    torch.save(ck, tmp_path / "v99.pt")
    with pytest.raises(CheckpointError, match="version 99"):
        load_checkpoint(tmp_path / "v99.pt")


def test_save_then_load_round_trips(checkpoint, tmp_path):
    ck = load_checkpoint(checkpoint)
    save_checkpoint(tmp_path / "copy.pt", ck)
    assert load_checkpoint(tmp_path / "copy.pt")["classes"] == ck["classes"]


def test_sample_shape_range_and_metadata(checkpoint, glyph_set):
    s = load_generator(checkpoint)
    assert s.classes == glyph_set.classes and s.writers == (1, 2) and s.image_size == 32
    x = s.sample(["circle", "hline"], n=3, seed=0)
    assert x.shape == (6, 32, 32) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1


def test_same_seed_same_glyphs_other_seed_other_glyphs(checkpoint):
    s = load_generator(checkpoint)
    a, b, c = (s.sample(["disk"] * 4, writer=2, seed=k) for k in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_results_do_not_depend_on_batch_size(checkpoint):
    s = load_generator(checkpoint)
    np.testing.assert_allclose(s.sample(["disk", "circle"], n=5, seed=1, batch_size=3),
                               s.sample(["disk", "circle"], n=5, seed=1, batch_size=512), atol=1e-5)


def test_style_images_drive_the_style(checkpoint, glyph_set):
    s = load_generator(checkpoint)
    by_writer = [glyph_set.images[glyph_set.writers == w][:4] for w in (1, 2)]  # writer 2 draws thicker strokes
    codes = [s.style_code(refs) for refs in by_writer]
    assert not torch.allclose(codes[0], codes[1])
    a, b = (s.sample(["circle"], style_images=refs, n=2, seed=0) for refs in by_writer)
    assert a.shape == (2, 32, 32) and not np.array_equal(a, b)  # same noise, other hand: other glyphs
    np.testing.assert_array_equal(a, s.sample(["circle"], style_images=by_writer[0], n=2, seed=0))


def test_style_image_classes_when_given_pick_the_class_mean_removed(checkpoint, glyph_set):
    s = load_generator(checkpoint)
    refs = glyph_set.images[(glyph_set.writers == 1) & (glyph_set.labels == 0)][:2]  # two circles
    as_circles, as_hlines = s.style_code(refs, ["circle", "circle"]), s.style_code(refs, ["hline", "hline"])
    assert not torch.allclose(as_circles, as_hlines)
    with pytest.raises(ConfigError, match="2 style images but 1 class names"):
        s.style_code(refs, ["circle"])


def test_a_checkpoint_carries_writer_features_and_provenance_but_no_glyph_images(checkpoint, glyph_set):
    from gan.provenance import data_fingerprint

    ck = load_checkpoint(checkpoint)
    assert "style_bank" not in ck and ck["writer_features"].dtype == torch.float32
    assert ck["writer_features"].shape[0] == 2  # one row per training writer
    assert ck["provenance"]["data_fingerprint"] == data_fingerprint(glyph_set)
    assert ck["provenance"]["torch"] == torch.__version__


def test_unknown_class_lists_the_valid_ones(checkpoint):
    with pytest.raises(ConfigError, match="unknown class.*star.*has: circle, disk, hline"):
        load_generator(checkpoint).sample(["star"])


def test_unknown_writer_lists_the_valid_ones(checkpoint):
    with pytest.raises(ConfigError, match="writer 99 .* has: 1, 2"):
        load_generator(checkpoint).sample(["disk"], writer=99)


def test_sampling_export_samples_like_the_full_checkpoint_and_is_small(tmp_path, smoke_checkpoint):
    from gan import export_sampler, load_generator

    small = export_sampler(smoke_checkpoint, tmp_path / "small.pt")
    assert small.stat().st_size < smoke_checkpoint.stat().st_size / 2
    full, lean = load_generator(smoke_checkpoint), load_generator(small)
    assert lean.classes == full.classes and lean.writers == full.writers
    np.testing.assert_array_equal(lean.sample(["stem", "sharp"], writer=1, n=3, seed=5),
                                  full.sample(["stem", "sharp"], writer=1, n=3, seed=5))


def test_sampling_export_cannot_be_resumed(tmp_path, smoke_checkpoint):
    from gan import PRESETS, export_sampler, train

    run = tmp_path / "run"
    run.mkdir()
    export_sampler(smoke_checkpoint, run / "latest.pt")
    data = smoke_checkpoint.parent.parent / "glyphs"
    with pytest.raises(CheckpointError, match="sampling-only"):
        train(PRESETS["cpu-smoke"], data, run, resume=True, device="cpu", progress=False, log=lambda s: None)


def test_run_whose_writer_identifier_has_another_shape_samples_but_cannot_resume(checkpoint, tmp_path):
    ck = load_checkpoint(checkpoint)
    ck["networks"]["W"] = {k: v for k, v in ck["networks"]["W"].items() if not k.startswith("code_head")}
    run = tmp_path / "old-run"
    run.mkdir()
    (run / "config.json").write_bytes((checkpoint.parent / "config.json").read_bytes())
    save_checkpoint(run / "latest.pt", ck)
    assert load_generator(run / "latest.pt").sample(["circle"], writer=None).shape[0] == 1
    glyphs = checkpoint.parent.parent / "glyphs"
    with pytest.raises(CheckpointError, match="another shape than this version trains"):
        train(TINY.replace(epochs=2), glyphs, run, resume=True, progress=False, log=lambda s: None)


def test_sample_each_gives_a_request_the_same_glyphs_whatever_else_shares_its_passes(smoke_checkpoint):
    sampler = load_generator(smoke_checkpoint, "cpu")
    requests = [("stem", 1, 11), ("sharp", 2, 12), ("flat", 3, 13), ("stem", 2, 14), ("g-clef", 1, 15)]
    among = sampler.sample_each(requests, n=8, batch_requests=3)  # the last request is in a padded second pass
    alone = sampler.sample_each(requests[-1:], n=8, batch_requests=3)
    assert np.array_equal(among[-1], alone[0])


def test_sample_each_one_request_per_pass_is_sample(smoke_checkpoint):
    sampler = load_generator(smoke_checkpoint, "cpu")
    glyphs = sampler.sample_each([("stem", 1, 11), ("sharp", 2, 12)], n=8)
    assert np.array_equal(glyphs[1], sampler.sample(["sharp"], writer=2, n=8, seed=12))


def test_a_pixel_noise_generator_samples_from_its_seed_alone_whatever_the_batch(glyph_set, tmp_path):
    train(TINY.replace(pixel_noise=True), glyph_set.save(tmp_path / "glyphs"), tmp_path / "run", progress=False,
          log=lambda s: None)
    sampler = load_generator(tmp_path / "run" / "latest.pt")
    assert sampler.generator.latent_dim > TINY.z_dim  # the noise maps were built and loaded
    for name, p in sampler.generator.named_parameters():  # a second of training barely moves them from 0
        if name.endswith("strength"):
            p.data.fill_(0.5)
    one_by_one = sampler.sample(["disk", "circle"], n=3, seed=5, batch_size=1)
    np.testing.assert_allclose(sampler.sample(["disk", "circle"], n=3, seed=5), one_by_one, atol=1e-5)
    assert not np.allclose(sampler.sample(["disk", "circle"], n=3, seed=6), one_by_one)
