"""Writer adaptation measured (``ganmash benchmark adapt``) and the crops it starts from (``ganmash data crops``)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

DEV_GOLD = Path(__file__).resolve().parent.parent.parent / "shared" / "cvc-muscima-gold" / "dev.tsv"


# -- crops of a page ----------------------------------------------------------------------------------------------
def test_page_crops_are_seeded_draws_of_the_pages_glyph_classes(muscima):
    from symbol_sources.extract import default_classes
    from symbol_sources.page_crops import page_crops

    first, again = page_crops(muscima, 13, 3, 16, seed=0), page_crops(muscima, 13, 3, 16, seed=0)
    other = page_crops(muscima, 13, 3, 16, seed=1)
    assert [c.objid for c in first] == [c.objid for c in again] != [c.objid for c in other]
    assert len({c.objid for c in first}) == 16
    assert {c.glyph_class for c in first} <= set(default_classes(muscima))
    doc = int(np.flatnonzero((muscima.doc_writer == 13) & (muscima.doc_page == 3))[0])
    on_page = set(muscima.objid[muscima.doc == doc].tolist())
    assert {c.objid for c in first} <= on_page


@pytest.mark.parametrize("args, message", [
    (["--writer", "17", "--page", "4"], "MUSCIMA++ has no page 4 of writer 17"),
    (["--writer", "13", "--page", "3", "--count", "100000"], "fewer than --count 100000"),
])
def test_data_crops_refuses_in_one_line(args, message, muscima_root, tmp_path):
    from ganwriting_mashcima.cli import main

    res = CliRunner().invoke(main, ["data", "crops", *args, "--out", str(tmp_path / "refs"),
                                    "--muscima-pp", str(muscima_root)])
    assert res.exit_code == 1 and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "refs").exists()


def test_data_crops_writes_readable_references_and_keeps_a_full_folder(muscima_root, tmp_path):
    from ganwriting_mashcima.cli import main
    from symbol_sources.references import read_reference_glyphs

    out = tmp_path / "refs"
    args = ["data", "crops", "--writer", "13", "--page", "3", "--count", "6", "--out", str(out),
            "--muscima-pp", str(muscima_root)]
    assert CliRunner().invoke(main, args).exit_code == 0
    images, names = read_reference_glyphs(out, 32, ("notehead-full", "stem", "sharp", "flat", "natural",
                                                     "8th_flag", "duration-dot", "ledger_line", "thin_barline",
                                                     "quarter_rest", "8th_rest", "g-clef", "16th_flag"))
    assert images.shape == (6, 32, 32)
    before = sorted(p.name for p in out.iterdir())
    res = CliRunner().invoke(main, [*args, "--seed", "1"])  # other crops into the full folder
    assert res.exit_code == 1 and "pass --overwrite" in res.output
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("flag, what", [("--checkpoint", "checkpoint"), ("--base", "recognizer_ratio0.00_seed0.pt")])
def test_benchmark_adapt_refuses_missing_inputs_in_one_line_before_any_work(flag, what, muscima_root, tmp_path):
    from ganwriting_mashcima.cli import main

    base = Path(__file__).resolve().parent.parent / "results" / "staves-music-cpu"
    args = {"--base": str(base), "--checkpoint": None, flag: str(tmp_path / "missing")}
    res = CliRunner().invoke(main, ["benchmark", "adapt", "--out", str(tmp_path / "out"), "--muscima-pp",
                                    str(muscima_root), *[x for k, v in args.items() if v for x in (k, v)]])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and what in last and "does not exist" in last and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


# -- the writer-mean interval -------------------------------------------------------------------------------------
def test_writer_mean_bootstrap_averages_writers_not_staves():
    from experiments.adapt_writers import writer_mean_bootstrap

    # writer 1: 2 staves at -0.1; writer 2: 8 staves at +0.1. Per writer the mean is 0; per staff it would be +0.06
    diffs = {1: np.full((3, 2), -0.1), 2: np.full((3, 8), 0.1)}
    out = writer_mean_bootstrap(diffs, 200, np.random.default_rng(0))
    assert out["mean"] == pytest.approx(0.0) and out["ci95"] == pytest.approx([0.0, 0.0])
    assert out["writers"] == 2 and out["seeds"] == 3


# -- the benchmark ------------------------------------------------------------------------------------------------
@pytest.fixture
def tiny_gold(tmp_path) -> Path:
    """Writer 13: two scored staves of page 2, and one of page 3, the reference page (never scored)."""
    rows = [line for line in DEV_GOLD.read_text().splitlines()[1:]
            if line.split("\t")[:3] in (["13", "2", "0"], ["13", "2", "1"], ["13", "3", "0"])]
    path = tmp_path / "gold.tsv"
    path.write_text("writer\tpage\tstaff\tannotation\n" + "\n".join(rows) + "\n")
    return path


def _run(base_model, smoke_checkpoint, muscima_root, real_repository, tiny_gold, tmp_path, logs):
    import torch

    from experiments.adapt_writers import AdaptBenchConfig, run_adapt_benchmark

    torch.set_num_threads(1)
    base = tmp_path / "base"
    base.mkdir(exist_ok=True)
    shutil.copy(base_model, base / "recognizer_ratio0.00_seed0.pt")
    config = AdaptBenchConfig(base=str(base), reference_pages={13: 3}, ratios=(1.0,), seeds=(0,), steps=2, staves=3,
                              crops=4, checkpoint=str(smoke_checkpoint), gold=str(tiny_gold), bootstrap=50)
    return run_adapt_benchmark(config, tmp_path / "out", tmp_path / "refs", muscima_root, device="cpu",
                               progress=False, log=logs.append, real_repository=real_repository)


@pytest.mark.usefixtures("warm_cache")
def test_adapt_benchmark_scores_off_the_reference_page_and_resumes(base_model, smoke_checkpoint, muscima_root,
                                                                   real_repository, tiny_gold, tmp_path):
    logs: list[str] = []
    results = _run(base_model, smoke_checkpoint, muscima_root, real_repository, tiny_gold, tmp_path, logs)
    assert results["scored_staves"] == {"13": ["p02_s00", "p02_s01"]}  # page 3 gave the crops: not scored
    assert len(list(list((tmp_path / "refs").iterdir())[0].iterdir())) == 4
    out = tmp_path / "out"
    assert {p.name for p in out.glob("*.pt")} == {"recognizer_ratio0.00_seed0.pt", "recognizer_w13_ratio1.00_seed0.pt"}
    adapted, control = results["ser"]["1.0|13|0"], results["ser"]["control|13|0"]
    diff = results["ratio_1.00_minus_control"]["per_writer"]["13"]
    assert diff["mean"] == pytest.approx(np.mean(np.subtract(adapted, control)), abs=1e-4)
    assert sum(line.endswith(": fine-tuning") for line in logs) == 2  # one control, one adapted

    again: list[str] = []
    rerun = _run(base_model, smoke_checkpoint, muscima_root, real_repository, tiny_gold, tmp_path, again)
    assert sum(line.endswith(": reusing") for line in again) == 2 and not any("fine-tuning" in line for line in again)
    assert rerun["ser"] == results["ser"]
