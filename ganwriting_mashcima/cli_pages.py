"""``ganmash synthesize-pages``: Smashcima pages from MusicXML, a share of their glyphs drawn by the GAN."""
from __future__ import annotations

from pathlib import Path

import click

from ganwriting_mashcima.errors import exit_130_on_ctrl_c
from ganwriting_mashcima.options import (SeedRange, bank_options, cache_dir_option, device_option, hand_options, int_list,
                                         muscima_pp_option)
from symbol_sources.locate import EVALUATION_WRITERS


@click.command("synthesize-pages")
@click.option("--musicxml", "musicxml", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A MusicXML file (.musicxml or .xml); repeat for more.")
@click.option("--musicxml-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A folder of MusicXML files (all .musicxml and .xml in it).")
@click.option("--ratio", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Share of glyph draws that are generated.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GAN checkpoint. [default: the packaged pretrained one]")
@click.option("--count", type=click.IntRange(1), default=None,
              help="Scenes to make, cycling through the files. [default: one per file]")
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Job seed: scene i's seed derives from it.")
@click.option("--paper", type=click.Choice(["auto", "solid", "mzk"]), default="auto", show_default=True,
              help="auto = Smashcima's MZK paper textures where installed, else white.")
@click.option("--exclude-writers", callback=int_list, default=None,
              help=f"MUSCIMA++ writers Smashcima never draws. [default: {','.join(map(str, EVALUATION_WRITERS))}]")
@click.option("--allow-download", is_flag=True, help="Let Smashcima download missing assets (MZK paper textures).")
@hand_options()
@bank_options(real_classes=False)
@device_option
@muscima_pp_option
@cache_dir_option
@click.option("--resume", is_flag=True, help="Continue an interrupted run in --out.")
@click.option("--overwrite", is_flag=True, help="Start over in a non-empty --out.")
@exit_130_on_ctrl_c("continue with --resume (same options)")
def synthesize_pages_cmd(musicxml: tuple[Path, ...], musicxml_dir: Path | None, ratio: float, out: Path,
                         checkpoint: Path | None, count: int | None, seed: int, paper: str,
                         exclude_writers: list[int] | None, allow_download: bool, style: str, novel_scale: float,
                         style_from: Path | None, precision: str, bank_size: int | None, device: str,
                         muscima_pp: Path | None, cache_dir: Path | None, resume: bool, overwrite: bool) -> None:
    """Render MusicXML into handwritten pages with Smashcima, a --ratio share of glyphs drawn by the GAN
    in the hand of the writer Smashcima picked for the page (every generated glyph fresh). With --style novel or
    --style-from, the generated glyphs of a page share a hand of their own, and its real glyphs stay Smashcima's
    writer's.

    Writes OUT/pages/NNNNNN-P.png (scene N, page P), OUT/mung/NNNNNN-P.xml (Smashcima's MuNG: one node per
    glyph), OUT/manifest.jsonl (source file, seed, writer, GAN writer, generated/real glyph counts) and
    OUT/config.json. Needs the smashcima extra. Offline: the first run extracts Smashcima's MUSCIMA++ glyph
    bundle (~3 min, ~600 MB) into ganmash's cache folder; nothing is downloaded unless --allow-download.

    \b
    Examples:
      ganmash synthesize-pages --musicxml song.musicxml --ratio 0.5 --out pages
      ganmash synthesize-pages --musicxml-dir scores/ --count 100 --seed 7 --out pages
      ganmash synthesize-pages --musicxml-dir scores/ --count 100 --seed 7 --out pages --resume
      ganmash synthesize-pages --musicxml song.musicxml --ratio 1 --style-from my-crops/ --out pages
    """
    from symbol_sources.smashcima_backend import require_smashcima, synthesize_pages

    require_smashcima()  # without the extra: one line saying how to install it
    from symbol_sources.pages import musicxml_files

    stats = synthesize_pages(musicxml_files(list(musicxml), musicxml_dir), out, ratio=ratio, checkpoint=checkpoint,
                             count=count or 0, seed=seed, device=device, paper=paper, muscima_pp=muscima_pp,
                             excluded_writers=exclude_writers, allow_download=allow_download, cache_dir=cache_dir,
                             resume=resume, overwrite=overwrite, bank_size=bank_size, precision=precision, style=style,
                             novel_scale=novel_scale, style_from=style_from)
    click.echo(f"{out}: {stats['written']} scenes ({stats['pages']} pages) written, {stats['skipped']} skipped, "
               f"{stats['already_done']} already there")
