"""Figure: a run's validation measures against the number of glyphs the GAN has seen.

    python -m experiments.figure_training_curve RUN [--out docs/training_curve.png]

Reads RUN/config.json and the ``eval`` entries RUN/metrics.jsonl gets every ``eval_every`` epochs (measured on the
run's validation writers, never the test writers). Each panel draws the generated glyphs' figure as a solid line
and the real-vs-real reference (two halves of the validation writers' glyphs) dashed.
"""
from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

from gan.files import atomic_write_bytes
from gan import run_metrics
from gan.plotting import agg_pyplot

PANELS = (  # (title, generated key, real-vs-real key)
    ("recall, median per class (pixels)", "recall_pixels_gen", "recall_pixels_real"),
    ("recall, median per class (classifier features)", "recall_classifier_gen", "recall_classifier_real"),
    ("precision, median per class (pixels)", "precision_pixels_gen", "precision_pixels_real"),
    ("diversity ratio, median per class (pixels)", "diversity_pixels_gen", "diversity_pixels_real"),
    ("GAN-test (real held-out glyphs dashed)", "gan_test", "gan_test_real"),
    ("writer accuracy per set of 8, training writers", "style_set", "style_set_real"),
    ("unseen-writer retrieval (chance dotted)", "unseen_retrieval", "unseen_retrieval_real"),
    ("KID (classifier features)", "kid", "kid_real"),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--out", default="docs/training_curve.png")
    args = ap.parse_args()
    run = Path(args.run)
    config = json.loads((run / "config.json").read_text())
    rows = run_metrics(run)  # a torn last line (a run still training, or killed) is left out
    evals = [(r["epoch"] * config["glyphs_per_epoch"] / 1000, r["eval"]) for r in rows if "eval" in r]
    if not evals:
        raise SystemExit(f"{run}/metrics.jsonl has no validation measures (train with eval_every > 0)")

    plt = agg_pyplot()

    fig, axes = plt.subplots(2, 4, figsize=(14, 6), dpi=100)
    seen = [x for x, _ in evals]
    for ax, (title, gen_key, real_key) in zip(axes.flat, PANELS):
        ax.plot(seen, [e.get(gen_key) for _, e in evals], "o-", label="generated")
        ax.plot(seen, [e.get(real_key) for _, e in evals], "--", color="gray", label="real vs real")
        if gen_key == "unseen_retrieval":
            ax.axhline(evals[-1][1].get("unseen_chance", 0), ls=":", color="gray")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("glyphs seen (thousands)", fontsize=8)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{run.name} ({config['preset']} preset): validation writers {config.get('val_writers')}",
                 fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(args.out, buf.getvalue())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
