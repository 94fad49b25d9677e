"""experiments.ablation: its variants build valid configs, and each line reports the classes the GAN draws worst."""
import json
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[1] / "results" / "ablation-cpu" / "combined.eval_val.json"


@pytest.mark.parametrize("name", ["recipe", "balance-classes", "balance-none", "pixel-noise", "wide", "r1-0.1",
                                  "r1-10", "recipe-w_wid-0"])
def test_each_issue_21_variant_changes_the_cpu_recipe_in_one_field_at_most(name):
    from experiments.ablation import VARIANTS
    from gan.config import PRESETS

    recipe = PRESETS["cpu"]
    config = recipe.replace(**VARIANTS[name])
    assert sum(getattr(config, f) != getattr(recipe, f) for f in recipe.to_dict()) == (0 if name == "recipe" else 1)


def test_focus_figures_read_each_clef_and_accidental_off_an_evaluate_report():
    from experiments.ablation import FOCUS, focus_figures

    report = json.loads(REPORT.read_text())
    figures = focus_figures(report)
    assert list(figures) == list(FOCUS)
    g_clef = report["variety"]["per_class"]["g-clef"]["pixels"]["generated"]
    assert figures["g-clef"] == {"recall_pixels": g_clef["recall"], "precision_pixels": g_clef["precision"],
                                 "gan_test": report["gan_test"]["per_class"]["g-clef"]}
