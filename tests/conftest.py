"""Shared fixtures: the real MUSCIMA++ from ../shared (or wherever ganmash would find it)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_MUSCIMA_PP = REPO.parent / "shared" / "muscima-pp" / "v1.0"


@pytest.fixture(scope="session")
def muscima_root() -> Path:
    from symbol_sources import locate_muscima_pp

    # CI and developers have ../shared; anyone else has ganmash's usual places
    explicit = SHARED_MUSCIMA_PP if SHARED_MUSCIMA_PP.is_dir() else None
    return locate_muscima_pp(explicit)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ganmash-cache")


@pytest.fixture(scope="session")
def muscima(muscima_root, cache_dir):
    from symbol_sources import load_muscima_pp

    return load_muscima_pp(muscima_root, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def small_glyph_set(muscima):
    """A few classes from a few training writers, 32 px: the tiny real glyph set tests train on."""
    from symbol_sources import extract_glyph_set

    return extract_glyph_set(muscima, size=32, classes=["notehead-full", "sharp", "flat", "quarter_rest"],
                             writers=[1, 2, 3, 5, 6])


@pytest.fixture
def mini_muscima(tmp_path, muscima_root) -> Path:
    """A MUSCIMA++ layout with four real pages, to damage or change freely. W-01 N-19 is among them because
    Mashcima reads it for its default symbols (without it every staff fails to render)."""
    src = muscima_root / "data" / "cropobjects_withstaff"
    dst = tmp_path / "v1.0" / "data" / "cropobjects_withstaff"
    dst.mkdir(parents=True)
    for name in ("CVC-MUSCIMA_W-01_N-10_D-ideal.xml", "CVC-MUSCIMA_W-01_N-19_D-ideal.xml",
                 "CVC-MUSCIMA_W-02_N-13_D-ideal.xml", "CVC-MUSCIMA_W-13_N-02_D-ideal.xml"):
        (dst / name).write_bytes((src / name).read_bytes())
    return tmp_path / "v1.0"


@pytest.fixture(autouse=True)
def _no_user_env(monkeypatch, tmp_path):
    """Tests never read the developer's own data location or cache."""
    monkeypatch.delenv("GANMASH_MUSCIMA_PP", raising=False)
    monkeypatch.setenv("GANMASH_CACHE_DIR", os.fspath(tmp_path / "cache"))


@pytest.fixture
def warm_cache(monkeypatch, cache_dir):
    """ganmash's caches are the session's (MUSCIMA++ parsed once, ~8 s a parse), for tests of commands that read
    MUSCIMA++ but test nothing of the caches."""
    monkeypatch.setenv("GANMASH_CACHE_DIR", os.fspath(cache_dir))


# Classes Mashcima draws often: enough for staves to mix real and generated glyphs.
PROVIDER_CLASSES = ["notehead-full", "notehead-empty", "stem", "8th_flag", "sharp", "flat", "natural",
                    "quarter_rest", "g-clef", "duration-dot", "ledger_line", "thin_barline"]
PROVIDER_WRITERS = [1, 2, 3]


@pytest.fixture(scope="session")
def smoke_checkpoint(muscima, tmp_path_factory) -> Path:
    """A real checkpoint: the cpu-smoke preset trained on a few writers' glyphs (seconds)."""
    from gan import PRESETS, train
    from symbol_sources import extract_glyph_set

    root = tmp_path_factory.mktemp("smoke-gan")
    extract_glyph_set(muscima, size=32, classes=PROVIDER_CLASSES, writers=PROVIDER_WRITERS).save(root / "glyphs")
    train(PRESETS["cpu-smoke"], root / "glyphs", root / "run", device="cpu", progress=False, log=lambda s: None)
    return root / "run" / "latest.pt"


@pytest.fixture(scope="session")
def real_repository(muscima_root, cache_dir):
    """Mashcima's own SymbolRepository over the pages of three training writers."""
    from symbol_sources.mashcima_repository import build_mashcima_repository

    return build_mashcima_repository(muscima_root, writers=PROVIDER_WRITERS, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def glyph_set():
    """A procedural glyph set (3 classes, 2 "writers", 32 px): GAN mechanics without data loading."""
    from gan.synthetic import toy_glyph_set

    return toy_glyph_set(n_classes=3, n_writers=2, per_cell=4, image_size=32)


@pytest.fixture(scope="module")
def glyph_dir(glyph_set, tmp_path_factory):
    return glyph_set.save(tmp_path_factory.mktemp("glyphs"))


@pytest.fixture(scope="session")
def base_model(real_repository, smoke_checkpoint, tmp_path_factory) -> Path:
    """A smoke-preset recogniser trained 3 steps on 4 plain Mashcima staves, saved as the benchmark saves one."""
    from experiments.staff_benchmark import PRESETS, read_staves
    import torch

    from experiments.staff_recognizer import TokenCodec, mashcima_vocabulary, save_recognizer, train_recognizer
    from symbol_sources.mashcima_provider import open_mixed_repository
    from symbol_sources.staves import StaffJob, synthesize_staves

    root = tmp_path_factory.mktemp("adapt-base")
    repo = open_mixed_repository(smoke_checkpoint, "unused", ratio=0.0, device="cpu", real=real_repository)
    synthesize_staves(repo, StaffJob(count=4, ratio=0.0), root / "staves", progress=False)
    config, codec = PRESETS["smoke"], TokenCodec(mashcima_vocabulary())
    images, labels = read_staves(root / "staves", config.recognizer.height, codec)
    # seed 7: adaptations in the tests use other seeds, so weights near the base's are the base's, not a seed's init
    model = train_recognizer(images, labels, codec, config.recognizer, config.training(), torch.device("cpu"), 7,
                             progress=False)
    trained = sorted({codec.vocabulary[t - 1] for seq in labels for t in seq})
    info = {"training_key": "base", "trained_tokens": trained, "config": config.to_dict()}
    return save_recognizer(root / "base.pt", model, codec, config.recognizer, info)
