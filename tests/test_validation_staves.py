"""``benchmark staves --val-gold``: validation writers' staves scored beside the test staves, with the real symbol
pool and the GAN both leaving those writers out."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from helpers import symbol_count, write_gold

pytestmark = pytest.mark.usefixtures("warm_cache")  # MUSCIMA++ parsed once per session

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO.parent / "shared" / "cvc-muscima-gold" / "dev.tsv"
VAL_PAGE = (4, 9)  # writer 4 (a validation writer), page 9: 6 staves the converter transcribes


@pytest.fixture(scope="module")
def val_gold(muscima, tmp_path_factory) -> Path:
    """The first 3 staves of a validation writer's page, as ``ganmash data transcribe`` writes them."""
    from symbol_sources.transcribe import gold_tsv, transcribe_page

    staves = [s for s in transcribe_page(muscima, *VAL_PAGE) if s.annotation][:3]
    path = tmp_path_factory.mktemp("val-gold") / "val.tsv"
    path.write_text(gold_tsv(staves))
    return path


def _config(**kw):
    from experiments.staff_benchmark import PRESETS

    return PRESETS["smoke"].replace(gold=str(GOLD), seeds=(0, 1), bootstrap=200, **kw)


@pytest.fixture(scope="module")
def validated(real_repository, smoke_checkpoint, muscima_root, val_gold, tmp_path_factory):
    from experiments.staff_benchmark import run_staff_benchmark

    if not GOLD.is_file():
        pytest.skip("../shared/cvc-muscima-gold/dev.tsv is not here")
    root = tmp_path_factory.mktemp("val-bench")
    torch.set_num_threads(1)
    config = _config(checkpoint=str(smoke_checkpoint), val_gold=str(val_gold))
    results = run_staff_benchmark(config, root / "out", root / "work", muscima_root, device="cpu", progress=False,
                                  log=lambda s: None, real_repository=real_repository)
    return root, results


def test_validation_staves_are_scored_beside_the_test_staves_with_a_paired_ci(validated):
    _, results = validated
    v = results["validation"]
    assert v["gold_writers"] == [4] and v["staves_scored"] == 3 and v["real_pool_leaves_out"] == [4]
    assert results["staves_scored"] == 48  # the test staves are scored as before
    assert [r["ratio"] for r in v["ratios"]] == [0.0, 1.0]
    ci = v["ratios"][1]["ser_minus_first_ratio"]
    assert ci["seeds"] == 2 and ci["staves"] == 3 and ci["ci95"][0] <= ci["mean"] <= ci["ci95"][1]
    for run in results["runs"]:  # each recogniser's validation SER is the mean over its validation staves
        rows = run["validation"]["staves"]
        assert [(r["writer"], r["page"]) for r in rows] == [VAL_PAGE] * 3
        assert run["validation"]["ser"] == pytest.approx(sum(r["ser"] for r in rows) / 3, abs=1e-3)


def test_validation_rows_keep_no_gold_text_and_the_report_has_their_table(validated):
    root, results = validated
    assert all("gold" not in r for run in results["runs"] for r in run["validation"]["staves"])
    assert all("gold" in r for run in results["runs"] for r in run["staves"])  # dev.tsv's rows keep theirs
    md = (root / "out" / "results.md").read_text()
    assert "## Validation staves" in md and "3 staves of writers [4]" in md


def test_validation_writers_key_every_ratio_and_name_the_staves_apart(val_gold, tmp_path):
    from experiments.staff_benchmark import StaffBenchConfig, staves_folder_name

    plain, held = _config(), _config(val_gold=str(val_gold))
    assert held.held_out_writers() == (4,)
    assert held.training_key(0.0, 0) != plain.training_key(0.0, 0)  # ratio 0's pool changes too
    assert held.training_key(1.0, 0) != plain.training_key(1.0, 0)
    other_staves = write_gold(tmp_path / "other.tsv", [(4, 9, 0, "clef.G-2 q4")])
    assert _config(val_gold=str(other_staves)).training_key(0.0, 0) == held.training_key(0.0, 0)  # same writers
    assert "val_gold" not in plain.to_dict()  # the committed runs' configs and keys stay as they were
    assert StaffBenchConfig.from_dict(held.to_dict()) == held
    assert staves_folder_name(0.0, "", "", {}, "", (), (4,)) != staves_folder_name(0.0, "", "", {}, "")


def test_the_real_pool_leaves_the_validation_writers_out(mini_muscima, tmp_path):
    from experiments.staff_benchmark import _TrainingStaves
    from symbol_sources.mashcima_repository import build_mashcima_repository

    # mini_muscima holds pages of writers 1, 2 and 13; the validation gold names writer 2
    config = _config(val_gold=str(write_gold(tmp_path / "val.tsv", [(2, 13, 0, "clef.G-2 q4")])))
    pool = _TrainingStaves(config, tmp_path, mini_muscima, "cpu", 1, None, None, False, lambda s: None)
    writer_1 = build_mashcima_repository(mini_muscima, writers=[1], cache_dir=tmp_path / "c")
    assert symbol_count(pool.real_repository()) == symbol_count(writer_1)


@pytest.mark.parametrize("rows, extra, message", [
    ([(13, 2, 0, "q4")], [], "holds staves of evaluation writers 13"),
    ([(2, 13, 0, "q4")], ["--real-writers", "1,2", "--ratios", "0"], "--real-writers 2 are writers of --val-gold"),
    ([(2, 13, 0, "q4")], [], "was trained on writers 2 of --val-gold"),  # the smoke GAN's writers: 1, 2, 3
])
def test_benchmark_refuses_what_would_train_on_the_validation_writers(rows, extra, message, tmp_path,
                                                                      smoke_checkpoint, muscima_root):
    from ganwriting_mashcima.cli import main

    val = write_gold(tmp_path / "val.tsv", rows)
    res = CliRunner().invoke(main, ["benchmark", "staves", "--preset", "smoke", "--out", str(tmp_path / "out"),
                                    "--val-gold", str(val), "--checkpoint", str(smoke_checkpoint),
                                    "--muscima-pp", str(muscima_root), *extra])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert len(lines) == 1 and message in lines[0], res.output
    assert not (tmp_path / "out").exists()
