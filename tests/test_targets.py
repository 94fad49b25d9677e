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
