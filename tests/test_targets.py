"""experiments.targets reads ganmash evaluate reports into the #12 targets table (committed ablation reports)."""
import json
from pathlib import Path

from experiments.targets import targets_table

ABLATION = Path(__file__).resolve().parents[1] / "results" / "ablation-cpu"


def _row(table: str, name: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"| {name}"))


def test_the_collapsed_recipe_misses_recall_and_diversity_and_the_new_one_meets_diversity():
    old = json.loads((ABLATION / "old.eval_val.json").read_text())
    new = json.loads((ABLATION / "combined-ms0.3.eval_val.json").read_text())
    table = targets_table([old, new])
    recall = _row(table, "recall, median per class").split(" | ")
    assert recall[2].startswith("0.00 / 0.00") and recall[2].endswith("missed")
    diversity = _row(table, "diversity ratio, median").split(" | ")
    assert diversity[2].endswith("missed") and diversity[3].rstrip(" |").endswith("**met**")


def test_a_report_without_gan_train_says_so_rather_than_passing():
    report = json.loads((ABLATION / "old.eval_val.json").read_text())
    assert "not measured missed" in _row(targets_table([report]), "GAN-train")


DOCS = Path(__file__).resolve().parents[1] / "docs"
VARIETY = Path(__file__).resolve().parents[1] / "results" / "variety-check"


def _packaged():
    reports = [json.loads((DOCS / f"pretrained_eval_{s}.json").read_text()) for s in ("val", "test")]
    varieties = [json.loads((VARIETY / f"packaged_{s}.json").read_text()) for s in ("val", "test")]
    return reports, varieties


def test_issue_21_rows_pair_each_evaluate_figure_with_the_plain_check_of_its_split():
    from experiments.targets import clef_targets_table

    reports, varieties = _packaged()
    table = clef_targets_table(reports, varieties)
    median = _row(table, "pixel recall, median per class").split(" | ")
    own, plain = reports[1]["variety"]["summary"]["pixels"]["generated"]["median_recall"], varieties[1]["median"]["recall"]
    assert median[3].startswith(f"{own:.2f} / {plain:.2f}") and median[3].rstrip(" |").endswith("missed")
    assert _row(table, "pixel recall, g-clef").count("missed") == 2  # the packaged GAN draws no real g-clef


def test_issue_21_table_refuses_a_variety_check_of_another_split():
    import pytest

    from experiments.targets import clef_targets_table

    reports, varieties = _packaged()
    with pytest.raises(SystemExit, match="in the order of the reports"):
        clef_targets_table(reports, varieties[::-1])


def test_throughput_is_the_median_gan_epoch_without_the_writer_identifiers_pretraining(tmp_path):
    from experiments.targets import clef_targets_table, run_throughput

    lines = [{"epoch": 0, "glyphs_per_s": 350.0}, {"epoch": 1, "glyphs_per_s": 50.0},
             {"epoch": 2, "glyphs_per_s": 120.0}, {"epoch": 3, "glyphs_per_s": 110.0}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    assert run_throughput(tmp_path) == 110.0
    reports, varieties = _packaged()
    assert _row(clef_targets_table(reports, varieties, 110.0), "training throughput").endswith("110.0 **met** |")
