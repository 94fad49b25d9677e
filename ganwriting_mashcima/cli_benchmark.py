"""``ganmash benchmark``: what GAN glyphs do for recognisers. ``symbols`` lives here; other commands join the group
with ``benchmark.add_command(...)`` from their own modules."""
from __future__ import annotations

from pathlib import Path

import click

from ganwriting_mashcima.errors import FriendlyGroup, exit_130_on_ctrl_c, one_line_errors
from ganwriting_mashcima.options import RESUME_BENCHMARK, LazyChoice, device_option, number_list, portable_path


@click.group(cls=FriendlyGroup)
def benchmark() -> None:
    """Measure what GAN glyphs do for recognisers of real handwriting."""


@benchmark.command()
@click.option("--train-data", type=click.Path(file_okay=False, path_type=Path), default=Path("data/glyphs-64"),
              show_default=True, help="Training glyph set (training writers only).")
@click.option("--eval-data", type=click.Path(file_okay=False, path_type=Path), default=Path("data/glyphs-64-eval"),
              show_default=True, help="Glyph set of the evaluation writers (13, 17, 20, 34, 41, 49).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Results folder: config.json, metrics.jsonl, results.json/.md, accuracy.png, confusion.png, "
                   "low-data-gan/.")
@click.option("--preset", type=LazyChoice("experiments.symbol_benchmark", "PRESETS"), default="cpu", show_default=True,
              help="smoke: seconds (tests); cpu: ~30 min on 2 cores; gpu: a CUDA machine.")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GAN of the full regime, trained on all training writers. [default: the packaged pretrained one]")
@click.option("--low-data-checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GAN of the low-data regime, trained on the low-data writers only. "
                   "[default: train one into OUT/low-data-gan]")
@click.option("--seeds", callback=number_list(int, "integers"), default=None,
              help="Comma-separated classifier seeds; more seeds extend a finished run. "
                   "[default: the preset's; 0,1,2 for cpu and gpu]")
@device_option
@click.option("--overwrite", is_flag=True,
              help="Start over in an --out that holds a run with other settings (same settings always resume).")
@one_line_errors
@exit_130_on_ctrl_c(RESUME_BENCHMARK)
def symbols(train_data: Path, eval_data: Path, out: Path, preset: str, checkpoint: Path | None,
            low_data_checkpoint: Path | None, seeds: tuple[int, ...] | None, device: str, overwrite: bool) -> None:
    """Glyph classifier accuracy on evaluation writers, trained on real, GAN, and real + GAN glyphs.

    Two regimes: full (all training writers; the GAN is --checkpoint) and low-data (3 writers; a GAN is
    trained on them first). Each classifier is trained with the same steps and seed per source; results are
    mean ± std over the seeds. Re-running the same command resumes where it stopped.

    \b
    Examples:
      ganmash benchmark symbols --out results/symbols-cpu --preset cpu
      ganmash benchmark symbols --train-data data/glyphs-64 --eval-data data/glyphs-64-eval \\
          --out results/symbols-gpu --preset gpu --device cuda
      ganmash benchmark symbols --out results/symbols-cpu --seeds 0,1,2,3,4   # two more seeds
    """
    from experiments.symbol_benchmark import PRESETS, run_symbol_benchmark
    from ganwriting_mashcima.provider import default_checkpoint

    ck = checkpoint if checkpoint is not None else default_checkpoint()
    for path in (ck, low_data_checkpoint):
        if path is not None and not path.is_file():
            raise FileNotFoundError(f"checkpoint {path} does not exist")
    config = PRESETS[preset].replace(seeds=seeds, checkpoint=portable_path(ck), train_data=portable_path(train_data),
                                     eval_data=portable_path(eval_data),
                                     low_data_checkpoint=portable_path(low_data_checkpoint) if low_data_checkpoint
                                     else None)
    results = run_symbol_benchmark(config, out, device=device, overwrite=overwrite, log=click.echo)
    for regime, sources in results["regimes"].items():
        click.echo(f"{regime}: " + ", ".join(
            f"{s} {100 * v['overall']['mean']:.1f} ± {100 * v['overall']['std']:.1f} %" for s, v in sources.items()))
    click.echo(f"wrote {out / 'results.md'}, {out / 'accuracy.png'}, {out / 'confusion.png'}")
