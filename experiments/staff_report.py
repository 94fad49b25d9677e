"""What ``ganmash benchmark staves`` writes for people: results.md (a table per gold set) and ser.png."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from gan import atomic_write
from gan.plotting import agg_pyplot
from symbol_sources.glyph_draws import DEFAULT_BANK_SIZE


def plot_results(results: dict[str, Any], path: Path) -> None:
    plt = agg_pyplot()

    ratios = [r["ratio"] for r in results["ratios"]]
    fig, ax = plt.subplots(figsize=(5, 3.4), dpi=120)
    for key, style, label in (("ser", "o-", "SER"), ("ser_pitchless", "s--", "SER, pitch ignored")):
        ax.errorbar(ratios, [r[key]["mean"] for r in results["ratios"]], yerr=[r[key]["std"] for r in results["ratios"]],
                    fmt=style, capsize=3, label=f"{label} (mean ± std over seeds)")
    for run in results["runs"]:  # each seed's recogniser
        ax.plot(run["ratio"], run["ser"], ".", color="gray", alpha=0.6)
    if "validation" in results:
        val = results["validation"]["ratios"]
        ax.errorbar(ratios, [r["ser"]["mean"] for r in val], yerr=[r["ser"]["std"] for r in val], fmt="^:",
                    capsize=3, label=f"SER, validation writers {results['validation']['gold_writers']}")
    ax.set_xlabel("share of glyphs drawn by the GAN (ratio)")
    ax.set_ylabel("symbol error rate (lower is better)")
    ax.set_title(f"{results['staves_scored']} real staves, writers {results['gold_writers']}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png"))
    plt.close(fig)


def draws_described(c: dict[str, Any]) -> str:
    """How a results.json's config drew the GAN's glyphs, in words (absent fields: their defaults)."""
    bank = c.get("bank_size", DEFAULT_BANK_SIZE)
    text = (f"Real symbols of writers {c['real_writers']} only; " if c.get("real_writers") else "") + "GAN glyphs " + ("fresh, each pasted once" if bank is None else f"drawn from {bank} per writer and class")
    if c.get("real_classes"):
        text += f", never for {', '.join(c['real_classes'])}"
    if c.get("style_from"):
        text += f", in the hand of the reference glyphs in {c['style_from']}"
    elif c.get("style", "per-staff") != "per-staff":
        text += f", style {c['style']}" + (f" (scale {c['novel_scale']:g})" if "novel_scale" in c else "")
    if c.get("precision", "fp32") != "fp32":
        text += f", GAN in {c['precision']}"
    return text


def markdown(results: dict[str, Any]) -> str:
    c = results["config"]
    t, g = results["training_staves"], results["gold_staves"]
    lines = [f"# Staff recognition on real CVC-MUSCIMA staves ({c['preset']} preset)", "",
             f"Recogniser: CRNN + CTC ({len(c['recognizer']['channels'])} conv layers, {c['recognizer']['lstm_layers']}"
             f"-layer BiLSTM, {c['recognizer']['height']} px), {c['steps']} steps of batch {c['batch_size']} on "
             f"{c['staves']} Mashcima staves per ratio, one recogniser per seed {c['seeds']} (same staves, "
             f"annotations and seeds for every ratio). Annotations: {results['annotations']['source']}. "
             f"{draws_described(c)}. Test: "
             f"{results['staves_scored']} gold staves of writers {results['gold_writers']} "
             f"({results['blank_staves_skipped']} blank skipped). Gold tokens no recogniser here can output count as "
             "errors (their share: last column).", "",
             f"Training staves: tokens median {t['tokens']['median']} (quartiles {t['tokens']['q1']}–{t['tokens']['q3']}), "
             f"width median {t['width_px']['median']} px; gold staves: tokens median {g['tokens']['median']} "
             f"({g['tokens']['q1']}–{g['tokens']['q3']}), width median {g['width_px']['median']} px.", "",
             f"| GAN ratio | SER (mean ± std over seeds) | SER, pitch ignored | SER − ratio {c['ratios'][0]:.2f} "
             f"(paired bootstrap 95 % CI) | SER per writer | SER, beam search (width {c.get('beam_width', 16)}) | "
             "train time (s) | unreachable gold |",
             "|---:|---:|---:|---:|---|---:|---:|---:|"]
    for r in results["ratios"]:
        lines.append(_score_cells(r) + f" {r['ser_beam']['mean']:.3f} ± {r['ser_beam']['std']:.3f} | "
                     f"{r['train_seconds']:.0f} | {r['share_unreachable']:.1%} |")
    if "validation" in results:
        lines += ["", *_validation_markdown(results["validation"], c["ratios"][0])]
    return "\n".join(lines) + "\n"


def _score_cells(r: dict[str, Any]) -> str:
    """A ratio's row up to its per-writer SER: ratio, SER, pitch-less SER, paired CI, per writer."""
    d = r.get("ser_minus_first_ratio")
    diff = f"{d['mean']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" if d else "–"
    writers = ", ".join(f"{w}: {v:.3f}" for w, v in r["ser_per_writer"].items())
    return (f"| {r['ratio']:.2f} | {r['ser']['mean']:.3f} ± {r['ser']['std']:.3f} | "
            f"{r['ser_pitchless']['mean']:.3f} ± {r['ser_pitchless']['std']:.3f} | {diff} | {writers} |")


def _validation_markdown(v: dict[str, Any], first_ratio: float) -> list[str]:
    return ["## Validation staves: choose recipes here, never on the test staves", "",
            f"{v['staves_scored']} staves of writers {v['gold_writers']} from {v['gold_file']} "
            f"({v['blank_staves_skipped']} blank skipped), greedy decoding. No real symbol of these writers went "
            "into the training staves, and the GAN was trained without them.", "",
            f"| GAN ratio | SER (mean ± std over seeds) | SER, pitch ignored | SER − ratio {first_ratio:.2f} "
            "(paired bootstrap 95 % CI) | SER per writer | unreachable gold |",
            "|---:|---:|---:|---:|---|---:|",
            *(_score_cells(r) + f" {r['share_unreachable']:.1%} |" for r in v["ratios"])]
