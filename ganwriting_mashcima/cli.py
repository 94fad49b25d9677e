"""``ganmash``: the command-line front. Thin: parse flags, call the library, turn user errors into one line."""
from __future__ import annotations

import warnings
from pathlib import Path

import click

from ganwriting_mashcima.errors import FriendlyGroup, refuse_existing
from ganwriting_mashcima.options import SeedRange, int_list, muscima_pp_option
from symbol_sources.locate import EVALUATION_WRITERS, PROJECT_MUSCIMA_PP

# Heavy modules (numpy, OpenCV, torch) are imported inside the commands that need them: `ganmash --help` stays fast.


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"ganmash: warning: {message}", err=True)


def _str_list(ctx, param, value: str | None) -> list[str] | None:
    return None if value is None else [v for v in value.replace(",", " ").split() if v]


@click.group(cls=FriendlyGroup)
@click.version_option(package_name="ganwriting-mashcima")
def main() -> None:
    """ganmash: writer-style glyph GAN as a symbol source for Mashcima.

    \b
    Examples:
      ganmash data info
      ganmash data extract --out data/glyphs-64
      ganmash data show data/glyphs-64 --out sheet.png
      ganmash train --data data/glyphs-64 --out runs/cpu --preset cpu
      ganmash synthesize-staves --ratio 0.5 --count 100 --out staves
      ganmash synthesize-pages --musicxml song.musicxml --ratio 0.5 --out pages
      ganmash cache info
      ganmash annotations from-corpus --out runs/annotations/train.txt
      ganmash adapt --model recognizer.pt --style-from my-crops/ --out adapted.pt
    """
    warnings.showwarning = _one_line_warning


@main.group(cls=FriendlyGroup)
def data() -> None:
    """Find, download, extract and look at glyph data."""


@data.command()
@muscima_pp_option
def info(muscima_pp: Path | None) -> None:
    """Where MUSCIMA++ was found, and how many objects each class and writer has.

    \b
    Example:
      ganmash data info --muscima-pp ../shared/muscima-pp/v1.0
    """
    import numpy as np

    from symbol_sources import load_muscima_pp, locate_muscima_pp

    root = locate_muscima_pp(muscima_pp)
    d = load_muscima_pp(root)
    held_out = np.isin(d.writer, EVALUATION_WRITERS)
    click.echo(f"MUSCIMA++ v1.0: {root}")
    click.echo(f"{len(d.documents)} pages, {len(np.unique(d.doc_writer))} writers, {len(d)} objects"
               + (f"; skipped unreadable: {', '.join(d.skipped_files)}" if d.skipped_files else ""))
    click.echo(f"evaluation writers (excluded from training by default): "
               f"{', '.join(map(str, EVALUATION_WRITERS))}\n")
    click.echo(f"{'class':<28}{'total':>8}{'training':>10}{'held out':>10}")
    for cid in np.argsort([-c for c in np.bincount(d.class_id)]):
        rows = d.class_id == cid
        click.echo(f"{d.class_names[cid]:<28}{rows.sum():>8}{(rows & ~held_out).sum():>10}"
                   f"{(rows & held_out).sum():>10}")
    click.echo(f"\n{'writer':<8}{'pages':>6}{'objects':>9}")
    for w in np.unique(d.doc_writer):
        mark = "  (evaluation)" if w in EVALUATION_WRITERS else ""
        click.echo(f"{w:<8}{(d.doc_writer == w).sum():>6}{(d.writer == w).sum():>9}{mark}")


@data.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output glyph-set folder.")
@click.option("--size", type=click.IntRange(8, 512), default=64, show_default=True, help="Glyph side in pixels.")
@click.option("--classes", callback=_str_list, default=None,
              help="Comma-separated class names. [default: the MUSCIMA++ primitives Mashcima draws]")
@click.option("--writers", callback=int_list, default=None,
              help="Only these writers (explicit: evaluation writers allowed). [default: all training writers]")
@click.option("--exclude-writers", callback=int_list, default=None,
              help=f"Leave these writers out. [default: {','.join(map(str, EVALUATION_WRITERS))} "
                   "unless --writers is given]")
@click.option("--from-folders", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Read a folder of class sub-folders of images instead of MUSCIMA++.")
@muscima_pp_option
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
def extract(out: Path, size: int, classes: list[str] | None, writers: list[int] | None,
            exclude_writers: list[int] | None, from_folders: Path | None, muscima_pp: Path | None,
            overwrite: bool) -> None:
    """Write a glyph set (glyphs.npz + manifest.json) of square, centred, cleaned glyphs.

    \b
    Examples:
      ganmash data extract --out data/glyphs-64
      ganmash data extract --out data/glyphs-eval --writers 13,17,20,34,41,49
      ganmash data extract --out data/homus --from-folders ~/HOMUS-classes --size 64
    """
    from gan.files import check_output_dir
    from symbol_sources import extract_from_folders, extract_glyph_set, load_muscima_pp, locate_muscima_pp

    check_output_dir(out, overwrite)  # refuse early, before minutes of work; the set's save makes the folder
    if from_folders is not None:
        glyphs = extract_from_folders(from_folders, size=size, classes=classes, progress=True)
    else:
        root = locate_muscima_pp(muscima_pp)
        glyphs = extract_glyph_set(load_muscima_pp(root), size=size, classes=classes, writers=writers,
                                   exclude_writers=exclude_writers, source=str(root), progress=True)
    glyphs.save(out)
    dropped = ", ".join(f"{k} {v}" for k, v in glyphs.dropped.items() if v) or "none"
    click.echo(f"wrote {len(glyphs.images)} glyphs of {len(glyphs.classes)} classes from "
               f"{len(glyphs.writer_ids)} writers to {out} (dropped: {dropped})")


@data.command()
@click.argument("glyph_set", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PNG to write.")
@click.option("--per-class", type=click.IntRange(1, 100), default=12, show_default=True,
              help="Glyphs shown per class.")
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Which random glyphs are shown.")
@click.option("--overwrite", is_flag=True, help="Replace an existing PNG.")
def show(glyph_set: Path, out: Path, per_class: int, seed: int, overwrite: bool) -> None:
    """Contact sheet: a row of random glyphs per class.

    \b
    Example:
      ganmash data show data/glyphs-64 --out sheet.png
    """
    refuse_existing(out, overwrite)
    import numpy as np

    from gan.glyphset import GlyphSet
    from gan.grid import save_glyph_grid

    g = GlyphSet.load(glyph_set)
    rng = np.random.default_rng(seed)
    rows = []
    for label, name in enumerate(g.classes):
        idx = np.flatnonzero(g.labels == label)
        pick = rng.choice(idx, size=min(per_class, len(idx)), replace=False) if len(idx) else idx
        rows.append((f"{name} ({len(idx)})", g.images[pick]))
    save_glyph_grid(rows, out, title=f"{glyph_set.name}: {len(g.images)} glyphs, {len(g.writer_ids)} writers")
    click.echo(f"wrote {out}")


@data.command()
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=PROJECT_MUSCIMA_PP,
              show_default=True, help="Where the v1.0 folder goes.")
@click.option("--url", default=None, help="Archive URL. [default: the official MUSCIMA++ v1.0 zip]")
@click.option("--overwrite", is_flag=True, help="Download again over an existing folder.")
def download(dest: Path, url: str | None, overwrite: bool) -> None:
    """Download MUSCIMA++ v1.0 (~100 MB zip, CC BY-NC-SA 4.0) into the project data folder.

    \b
    Example:
      ganmash data download
    """
    from symbol_sources import MUSCIMA_PP_URL, download_muscima_pp

    path = download_muscima_pp(dest, url=url or MUSCIMA_PP_URL, overwrite=overwrite)
    click.echo(f"MUSCIMA++ v1.0 is in {path}")


def _register_commands() -> None:
    from ganwriting_mashcima.cli_adapt import adapt, benchmark_adapt
    from ganwriting_mashcima.cli_annotations import annotations
    from ganwriting_mashcima.cli_benchmark import benchmark
    from ganwriting_mashcima.cli_cache import cache
    from ganwriting_mashcima.cli_crops import crops
    from ganwriting_mashcima.cli_gan import evaluate, export_sampler_cmd, sample, train
    from ganwriting_mashcima.cli_pages import synthesize_pages_cmd
    from ganwriting_mashcima.cli_recognition import recognize, staves
    from ganwriting_mashcima.cli_staves import synthesize_staves_cmd
    from ganwriting_mashcima.cli_transcribe import transcribe

    for command in (train, sample, evaluate, export_sampler_cmd):
        main.add_command(command)
    main.add_command(synthesize_staves_cmd, name="synthesize-staves")
    main.add_command(synthesize_pages_cmd, name="synthesize-pages")
    main.add_command(recognize)
    main.add_command(adapt)
    data.add_command(crops)
    data.add_command(transcribe)
    benchmark.add_command(staves)
    benchmark.add_command(benchmark_adapt)
    main.add_command(benchmark)
    main.add_command(cache)
    main.add_command(annotations)


_register_commands()

if __name__ == "__main__":
    main()
