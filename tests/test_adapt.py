"""``ganmash adapt``: a recogniser fine-tuned on staves in the hand of a user's glyph crops (tiny sizes, real data)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner

pytestmark = pytest.mark.usefixtures("warm_cache")  # MUSCIMA++ and Mashcima's pages parsed once per session


@pytest.fixture(scope="module")
def crops(small_glyph_set, tmp_path_factory) -> Path:
    """Eight glyph crops of one hand, dark ink on white as scanned, named by class."""
    folder = tmp_path_factory.mktemp("crops")
    for j in range(8):
        cls = small_glyph_set.classes[small_glyph_set.labels[j]]
        cv2.imwrite(str(folder / f"{cls}_{j}.png"), 255 - small_glyph_set.images[j])
    return folder


def _adapt(base_model, out, muscima_root, real_repository, **settings):
    from experiments.adapt import AdaptConfig, adapt_recognizer

    torch.set_num_threads(1)
    config = AdaptConfig(model=str(base_model), steps=3, staves=4, **settings)
    return adapt_recognizer(config, out, muscima_root, device="cpu", progress=False, log=lambda s: None,
                            real_repository=real_repository)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    from experiments.staff_recognizer import load_recognizer

    return load_recognizer(path).model.state_dict()


def test_adapt_writes_a_recogniser_that_recognize_reads_with_new_weights(base_model, crops, smoke_checkpoint,
                                                                         mini_muscima, tmp_path):
    from experiments.staff_recognizer import load_recognizer
    from ganwriting_mashcima.cli import main
    from symbol_sources.references import references_sha256

    out = tmp_path / "adapted.pt"
    res = CliRunner().invoke(main, ["adapt", "--model", str(base_model), "--style-from", str(crops), "--out", str(out),
                                    "--steps", "3", "--staves", "4", "--ratio", "1", "--checkpoint",
                                    str(smoke_checkpoint), "--device", "cpu", "--precision", "fp32",
                                    "--muscima-pp", str(mini_muscima)])  # four pages: Mashcima builds in seconds
    assert res.exit_code == 0, res.output
    (tmp_path / "scans").mkdir()
    cv2.imwrite(str(tmp_path / "scans" / "a.png"), np.full((120, 500), 255, np.uint8))
    res = CliRunner().invoke(main, ["recognize", "--model", str(out), "--images", str(tmp_path / "scans"),
                                    "--out", str(tmp_path / "p.tsv")])
    assert res.exit_code == 0, res.output
    base, adapted = _weights(base_model), _weights(out)
    assert base.keys() == adapted.keys() and any(not torch.equal(base[k], adapted[k]) for k in base)
    learnt = [k for k in base if "running" not in k and "num_batches" not in k]  # not batch-norm statistics
    # fine-tuned, not retrained: 3 steps at the one-cycle schedule's start move no weight far from the base's
    assert max(float((adapted[k] - base[k]).abs().max()) for k in learnt) < 0.01
    info = load_recognizer(out).info
    sha = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()  # noqa: E731
    assert info["adapted_from"] == {"sha256": sha(base_model), "training_key": "base"}
    assert info["style_from_sha256"] == references_sha256(crops) and info["checkpoint_sha256"] == sha(smoke_checkpoint)
    assert (info["ratio"], info["steps"], info["staves"], info["seed"], info["precision"]) == (1.0, 3, 4, 0, "fp32")


def test_the_control_at_ratio_zero_needs_no_crops(base_model, muscima_root, real_repository, tmp_path):
    info = _adapt(base_model, tmp_path / "control.pt", muscima_root, real_repository, ratio=0.0)
    assert info["style_from_sha256"] is None and info["checkpoint_sha256"] is None  # no GAN glyph was drawn
    assert info["training_staves"] == 4 and (tmp_path / "control.pt").is_file()


def test_the_same_seed_gives_the_same_adapted_weights(base_model, crops, smoke_checkpoint, muscima_root,
                                                      real_repository, tmp_path):
    hand = {"ratio": 1.0, "style_from": str(crops), "checkpoint": str(smoke_checkpoint)}
    for name, seed in (("a.pt", 0), ("b.pt", 0), ("other.pt", 1)):
        _adapt(base_model, tmp_path / name, muscima_root, real_repository, seed=seed, **hand)
    a, b, other = (_weights(tmp_path / n) for n in ("a.pt", "b.pt", "other.pt"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], other[k]) for k in a)  # the seed decides them: not a fixed point


@pytest.mark.parametrize("args, message", [
    (["--model", "{tmp}/missing.pt", "--style-from", "{crops}"], "recogniser file {tmp}/missing.pt does not exist"),
    (["--model", "{base}", "--style-from", "{tmp}/empty"], "holds no images"),
    (["--model", "{base}", "--style-from", "{crops}", "--out", "{tmp}/taken.pt"], "taken.pt exists; pass --overwrite"),
    (["--model", "{base}"], "--style-from (a folder of the hand's glyph crops) is needed at --ratio > 0"),
    (["--model", "{base}", "--style-from", "{crops}", "--ratio", "0"], "--style-from has no effect at --ratio 0"),
])
def test_bad_input_is_one_line_and_leaves_nothing_behind(base_model, crops, muscima_root, tmp_path, args, message):
    from ganwriting_mashcima.cli import main

    (tmp_path / "empty").mkdir()
    (tmp_path / "taken.pt").write_bytes(b"mine")
    before = sorted(tmp_path.rglob("*"))
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{crops}", str(crops)).replace("{base}", str(base_model))
            for a in args]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "adapted.pt")]
    res = CliRunner().invoke(main, ["adapt", *argv, "--steps", "1", "--staves", "1", "--device", "cpu",
                                    "--muscima-pp", str(muscima_root)])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert message.replace("{tmp}", str(tmp_path)) in res.output and len(res.output.strip().splitlines()) == 1
    assert sorted(tmp_path.rglob("*")) == before and (tmp_path / "taken.pt").read_bytes() == b"mine"
