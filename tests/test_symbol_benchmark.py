"""``ganmash benchmark symbols`` on real MUSCIMA++ glyphs at toy sizes: outputs, resume, the measuring stick, bad input."""
from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from experiments.symbol_benchmark import (PRESETS, REGIMES, SOURCES, RegimeData, generated_like, read_metrics,
                                          run_cell, run_symbol_benchmark, to_classifier_input)
from gan import GlyphSet, load_generator

torch.set_num_threads(1)  # tiny networks: more threads only add sync overhead, and thrash on a busy machine


@pytest.fixture(scope="module")
def bench_data(muscima, smoke_checkpoint, tmp_path_factory):
    """Training glyphs of the smoke checkpoint's classes and writers; evaluation glyphs of writers 13 and 17."""
    from symbol_sources import extract_glyph_set

    classes = list(load_generator(smoke_checkpoint).classes)  # the benchmark insists on the checkpoint's classes
    root = tmp_path_factory.mktemp("symbol-bench")
    train = extract_glyph_set(muscima, size=32, classes=classes, writers=[1, 2, 3])
    evals = extract_glyph_set(muscima, size=32, classes=classes, writers=[13, 17])
    return train, evals, train.save(root / "train"), evals.save(root / "eval")


@pytest.fixture(scope="module")
def config(bench_data, smoke_checkpoint):
    _, _, train_dir, eval_dir = bench_data
    return PRESETS["smoke"].replace(train_data=str(train_dir), eval_data=str(eval_dir),
                                    checkpoint=str(smoke_checkpoint), low_data_writers=(2, 3))


@pytest.fixture(scope="module")
def smoke_run(config, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    results = run_symbol_benchmark(config, out, device="cpu", progress=False, log=lambda s: None)
    return out, results


def _quiet(config, out, **kw):
    return run_symbol_benchmark(config, out, device="cpu", progress=False, log=lambda s: None, **kw)


def test_smoke_run_has_every_cell_and_writes_the_reports(smoke_run, config):
    out, results = smoke_run
    cells = [(r["regime"], r["source"], r["seed"]) for r in read_metrics(out)]
    assert sorted(cells) == sorted((g, s, seed) for g in REGIMES for s in SOURCES for seed in config.seeds)
    for regime in REGIMES:
        for source in SOURCES:
            cell = results["regimes"][regime][source]
            assert cell["seeds"] == list(config.seeds)
            assert 0 <= cell["overall"]["mean"] <= 1 and cell["overall"]["std"] >= 0
            assert np.asarray(cell["confusion"]).sum() == len(config.seeds) * results["n_eval"]
        assert results["regimes"][regime]["real"]["overall_minus_real"] == 0
    assert json.loads((out / "results.json").read_text()) == results
    md = (out / "results.md").read_text()
    assert "| full (the GAN's training writers) |" in md and "| low-data (writers 2, 3) |" in md
    for png in ("accuracy.png", "confusion.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the low-data GAN was trained here, on the low-data writers only
    assert GlyphSet.load(out / "low-data-glyphs").writer_ids == [2, 3]
    assert load_generator(out / "low-data-gan" / "latest.pt").writers == (2, 3)


def test_rerun_skips_done_cells_and_redoes_a_lost_one_identically(smoke_run, config, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(smoke_run[0], out)
    lines = (out / "metrics.jsonl").read_text().splitlines(keepends=True)
    _quiet(config, out)
    assert (out / "metrics.jsonl").read_text() == "".join(lines)  # nothing re-appended

    # a crash lost the last cell: only it is trained again, and it comes out the same (seeded, deterministic)
    (out / "metrics.jsonl").write_text("".join(lines[:-1]))
    _quiet(config, out)
    redone = read_metrics(out)
    assert len(redone) == len(lines)
    last, again = json.loads(lines[-1]), redone[-1]
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in last.items() if k != "seconds"}


def test_more_seeds_extend_a_finished_run(smoke_run, config, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(smoke_run[0], out)
    results = _quiet(config.replace(seeds=(*config.seeds, 7)), out)
    rows = read_metrics(out)
    assert len(rows) == len(REGIMES) * len(SOURCES) * (len(config.seeds) + 1)
    assert [r["seed"] for r in rows[-len(REGIMES) * len(SOURCES):]] == [7] * len(REGIMES) * len(SOURCES)
    assert results["regimes"]["full"]["gan"]["seeds"] == [*config.seeds, 7]


def test_known_case_real_glyphs_passed_off_as_gan_glyphs_score_like_real(bench_data, config):
    """A "perfect generator" (another real glyph of the same class and writer) must score as real training does."""
    train, evals, _, _ = bench_data
    rng = np.random.default_rng(0)

    def generate(labels, writers):
        out = []
        for y, w in zip(labels, writers):
            pool = np.flatnonzero((train.labels == y) & (train.writers == w))
            out.append(train.images[rng.choice(pool)] / 255.0)
        return np.stack(out)

    c = config.replace(classifier_steps=150, classifier_batch=32, classifier_size=32)
    gen, gen_labels = generated_like(train, generate, len(train.images) // 2, seed=0)
    data = RegimeData(train.images, train.labels, to_classifier_input(gen, c.classifier_size), gen_labels)
    eval_images = to_classifier_input(evals.images, c.classifier_size)
    acc = {s: run_cell(data, s, 0, eval_images, evals.labels, train.classes, c, torch.device("cpu"))["overall"]
           for s in SOURCES}
    assert acc["real"] > 0.8  # the stick itself reads real glyphs of unseen writers
    assert acc["gan"] == pytest.approx(acc["real"], abs=0.06)
    assert acc["real+gan"] == pytest.approx(acc["real"], abs=0.06)


# -- bad input: one line, exit 1 ------------------------------------------------------------------------------------
def _save(glyphs: GlyphSet, path, **changes):
    return dataclasses.replace(glyphs, **changes).save(path) if changes else glyphs.save(path)


@pytest.mark.parametrize("case, message", [
    ("missing-train", "does not exist"),
    ("not-a-glyph-set", "is not a glyph set"),
    ("eval-other-classes", "has other classes than"),
    ("eval-other-size", "px glyphs"),
    ("checkpoint-other-size", "makes 32 px glyphs"),
    ("checkpoint-other-classes", "was trained on other classes"),
    ("missing-checkpoint", "does not exist"),
    ("low-data-writer-missing", "low-data writer(s) 1 are not in"),
    ("evaluation-writer-in-training", "holds evaluation writer(s) 13"),
    ("eval-is-train", "are in both the training and the evaluation glyph set"),
    ("out-of-other-settings", "holds a benchmark run with other settings"),
])
def test_bad_input_is_one_line(case, message, bench_data, smoke_checkpoint, tmp_path):
    from ganwriting_mashcima.cli import main

    train, evals, train_dir, eval_dir = bench_data
    args = {"--train-data": str(train_dir), "--eval-data": str(eval_dir), "--checkpoint": str(smoke_checkpoint),
            "--out": str(tmp_path / "out")}
    renamed = tuple(f"{c}-x" for c in train.classes)
    small = {"images": to_classifier_input(train.images, 16)}
    if case == "missing-train":
        args["--train-data"] = str(tmp_path / "none")
    elif case == "not-a-glyph-set":
        (tmp_path / "empty").mkdir()
        args["--train-data"] = str(tmp_path / "empty")
    elif case == "eval-other-classes":
        args["--eval-data"] = str(_save(evals, tmp_path / "e", classes=renamed))
    elif case == "eval-other-size":
        args["--eval-data"] = str(_save(evals, tmp_path / "e", images=to_classifier_input(evals.images, 16)))
    elif case == "checkpoint-other-size":
        args["--train-data"] = str(_save(train, tmp_path / "t", **small))
        args["--eval-data"] = str(_save(evals, tmp_path / "e", images=to_classifier_input(evals.images, 16)))
    elif case == "checkpoint-other-classes":
        args["--train-data"] = str(_save(train, tmp_path / "t", classes=renamed))
        args["--eval-data"] = str(_save(evals, tmp_path / "e", classes=renamed))
    elif case == "missing-checkpoint":
        args["--checkpoint"] = str(tmp_path / "none.pt")
    elif case == "low-data-writer-missing":
        args["--train-data"] = str(_save(train.subset(train.writers != 1), tmp_path / "t"))
    elif case == "evaluation-writer-in-training":
        args["--train-data"] = str(_save(train, tmp_path / "t", writers=np.where(train.writers == 3, 13, train.writers)
                                         .astype(np.int32)))
    elif case == "eval-is-train":
        args["--eval-data"] = str(train_dir)
    elif case == "out-of-other-settings":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "config.json").write_text(json.dumps({"preset": "cpu"}))
    argv = ["benchmark", "symbols", "--preset", "smoke", "--device", "cpu"]
    for k, v in args.items():
        argv += [k, v]
    res = CliRunner().invoke(main, argv)
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert message in res.output and len(res.output.strip().splitlines()) == 1


def test_the_full_regime_uses_only_the_writers_the_gan_was_trained_on(smoke_checkpoint, tmp_path, muscima):
    from experiments.symbol_benchmark import run_symbol_benchmark
    from symbol_sources import extract_glyph_set

    classes = list(load_generator(smoke_checkpoint).classes)
    # writers 1-3 trained the GAN; writer 5 is a training writer it never saw (as a validation writer would be)
    train_dir = extract_glyph_set(muscima, size=32, classes=classes, writers=[1, 2, 3, 5]).save(tmp_path / "t")
    eval_dir = extract_glyph_set(muscima, size=32, classes=classes, writers=[13]).save(tmp_path / "e")
    config = PRESETS["smoke"].replace(train_data=str(train_dir), eval_data=str(eval_dir), seeds=(0,),
                                      checkpoint=str(smoke_checkpoint), low_data_writers=(2, 3),
                                      low_data_checkpoint="")
    results = run_symbol_benchmark(config, tmp_path / "out", device="cpu", progress=False, log=lambda s: None)
    writer_5 = int((GlyphSet.load(train_dir).writers == 5).sum())
    assert writer_5 > 0
    assert results["n_train_real"]["full"] == len(GlyphSet.load(train_dir).images) - writer_5
