"""``ganmash adapt``: a staff recogniser fine-tuned towards the hand of a user's manuscripts."""
from __future__ import annotations

from pathlib import Path

import click

from ganwriting_mashcima.errors import exit_130_on_ctrl_c, one_line_errors, refuse_existing
from ganwriting_mashcima.options import SeedRange, device_option, muscima_pp_option


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
