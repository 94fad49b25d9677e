"""``ganmash adapt``: a staff recogniser fine-tuned towards the hand of a user's manuscripts."""
from __future__ import annotations

from pathlib import Path

import click

from ganwriting_mashcima.errors import exit_130_on_ctrl_c, one_line_errors, refuse_existing
from ganwriting_mashcima.options import (DEFAULT_GOLD, RESUME_BENCHMARK, SeedRange, device_option, muscima_pp_option,
                                         number_list, portable_path)


@click.command()
@click.option("--model", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The staff recogniser to adapt (a recognizer_*.pt of `ganmash benchmark staves`, or an adapted one).")
@click.option("--style-from", "style_from", type=click.Path(path_type=Path), default=None,
              help="Folder of ~16 glyph crops of the hand to adapt to (class names from sub-folders or file names, "
                   "optional): the GAN's inputs, never labels. Needed at --ratio > 0. [default: none]")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The adapted recogniser to write (read by `ganmash recognize`).")
@click.option("--steps", type=click.IntRange(min=1), default=500, show_default=True, help="Fine-tuning steps.")
@click.option("--staves", type=click.IntRange(min=1), default=500, show_default=True,
              help="Training staves rendered for the fine-tuning.")
@click.option("--ratio", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Share of glyph draws the GAN makes, in the hand of --style-from; 0 = plain Mashcima staves "
                   "(the control: the same fine-tuning without the hand).")
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Seed of the staves and of the fine-tuning.")
@click.option("--annotations", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File of Mashcima annotations, one staff per line. [default: Mashcima's random annotations]")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GAN checkpoint. [default: the packaged pretrained one]")
@muscima_pp_option
@device_option
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="The GAN's float precision: auto = bf16 where the device does it natively, else fp32. Recorded.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
@one_line_errors
@exit_130_on_ctrl_c("nothing was written; run the command again")
def adapt(model: Path, style_from: Path | None, out: Path, steps: int, staves: int, ratio: float, seed: int,
          annotations: Path | None, checkpoint: Path | None, muscima_pp: Path | None, device: str, precision: str,
          overwrite: bool) -> None:
    """Fine-tune a staff recogniser towards the hand of your manuscripts.

    Renders --staves Mashcima staves whose generated glyphs (a --ratio share) follow the hand of the glyph crops
    in --style-from, fine-tunes --model on them for --steps steps (its own vocabulary and recipe), and writes the
    result to --out with what made it (base model, crops, GAN and annotations by sha256; ratio, steps, staves,
    seed, precision). Run it at --ratio 0 too, without --style-from: the same fine-tuning on plain staves, the
    control to compare the adapted recogniser with. No adaptation result has been measured yet.

    \b
    Examples:
      ganmash adapt --model results/staves-music-cpu/recognizer_ratio0.00_seed0.pt --style-from my-crops/ \\
          --annotations runs/annotations/train.txt --out adapted.pt
      ganmash adapt --model results/staves-music-cpu/recognizer_ratio0.00_seed0.pt --ratio 0 \\
          --annotations runs/annotations/train.txt --out control.pt
      ganmash recognize --model adapted.pt --images my-staves/ --out adapted.tsv
    """
    from experiments.adapt import AdaptConfig, adapt_recognizer
    from gan import resolve_device, resolve_precision
    from symbol_sources import locate_muscima_pp

    refuse_existing(out, overwrite)
    if checkpoint is not None and not checkpoint.is_file():
        raise FileNotFoundError(f"checkpoint {checkpoint} does not exist")
    if annotations is not None and not annotations.is_file():
        raise FileNotFoundError(f"annotation file {annotations} does not exist")
    config = AdaptConfig(model=str(model), style_from=str(style_from) if style_from else "", steps=steps,
                         staves=staves, ratio=ratio, seed=seed, annotations=str(annotations) if annotations else "",
                         checkpoint=str(checkpoint) if checkpoint else "",
                         precision=resolve_precision(precision, resolve_device(device)))
    info = adapt_recognizer(config, out, locate_muscima_pp(muscima_pp), device=device, log=click.echo)
    click.echo(f"wrote {out}: {info['steps']} steps on {info['training_staves']} staves, final loss "
               f"{info['final_loss']:.3f}")


def _writer_pages(ctx, param, value: str | None) -> dict[int, int] | None:
    """``13:16,17:7`` -> {13: 16, 17: 7}."""
    if value is None:
        return None
    try:
        pairs = [item.split(":") for item in value.replace(",", " ").split()]
        return {int(w): int(p) for w, p in pairs}
    except ValueError:
        raise click.BadParameter(f"expected WRITER:PAGE pairs such as 13:16,17:7, got {value!r}") from None


@click.command(name="adapt")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Results folder: config.json, results.json/.md, the adapted and control recognisers.")
@click.option("--base", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A `benchmark staves` folder whose recognizer_ratio0.00_seed<S>.pt are adapted.")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the writers' crops go (derived from MUSCIMA++: not for committing). "
                   "[default: runs/<name of --out>-refs]")
@click.option("--reference-pages", callback=_writer_pages, default=None,
              help="WRITER:PAGE pairs: the writers to adapt to and the unscored page their crops come from. "
                   "[default: 13:16,17:7,20:16]")
@click.option("--ratios", callback=number_list(float, "ratios in (0, 1]"), default=None,
              help="GAN ratios of the adapted arms; the control is ratio 0. [default: 0.5,1]")
@click.option("--seeds", callback=number_list(int, "seeds"), default=None,
              help="Recogniser seeds (one ratio-0 recogniser of --base each). [default: 0,1,2]")
@click.option("--steps", type=click.IntRange(min=1), default=500, show_default=True, help="Fine-tuning steps.")
@click.option("--staves", type=click.IntRange(min=1), default=500, show_default=True,
              help="Staves rendered per fine-tuning.")
@click.option("--crops", type=click.IntRange(min=1), default=16, show_default=True, help="Glyph crops per writer.")
@click.option("--annotations", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Annotation file, one staff per line. [default: Mashcima's random annotations]")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GAN checkpoint. [default: the packaged pretrained one]")
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_GOLD, show_default=True,
              help="Gold TSV holding the writers' scored staves.")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="The GAN's float precision.")
@muscima_pp_option
@device_option
@click.option("--overwrite", is_flag=True, help="Start over in an --out that holds a run with other settings.")
@one_line_errors
@exit_130_on_ctrl_c(RESUME_BENCHMARK)
def benchmark_adapt(out: Path, base: Path, work: Path | None, reference_pages: dict[int, int] | None,
                    ratios: tuple[float, ...] | None, seeds: tuple[int, ...] | None, steps: int, staves: int,
                    crops: int, annotations: Path | None, checkpoint: Path | None, gold: Path, precision: str,
                    muscima_pp: Path | None, device: str, overwrite: bool) -> None:
    """Writer adaptation: per gold writer, fine-tune each ratio-0 recogniser on staves in that writer's GAN hand
    (from --crops glyphs of an unscored page) and compare with the same fine-tuning on plain staves.

    Scores each writer's other gold staves: SER per writer of base, control and each ratio, and paired bootstrap
    CIs of adapted − control, per writer and averaged over writers. Re-running the same command resumes.

    \b
    Examples:
      ganmash benchmark adapt --out results/adapt-cpu --base results/staves-music-cpu \\
          --annotations runs/annotations/train.txt
      ganmash benchmark adapt --out results/adapt-k4 --base results/staves-music-cpu --crops 4 --ratios 1
    """
    from experiments.adapt_writers import AdaptBenchConfig, run_adapt_benchmark
    from symbol_sources import locate_muscima_pp

    given = {"reference_pages": reference_pages, "ratios": ratios, "seeds": seeds}
    config = AdaptBenchConfig(base=portable_path(base), steps=steps, staves=staves, crops=crops,
                              annotations=portable_path(annotations) if annotations else "",
                              checkpoint=portable_path(checkpoint) if checkpoint else "", gold=portable_path(gold),
                              precision=precision, **{k: v for k, v in given.items() if v is not None})
    results = run_adapt_benchmark(config, out, work or Path("runs") / f"{out.name}-refs", locate_muscima_pp(muscima_pp),
                                  device=device, overwrite=overwrite, log=click.echo)
    for r in config.ratios:
        m = results[f"ratio_{r:.2f}_minus_control"]["mean_over_writers"]
        click.echo(f"ratio {r:.2f} - control, mean over writers: {m['mean']:+.3f} "
                   f"[{m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}]")
    click.echo(f"wrote {out / 'results.md'}")
