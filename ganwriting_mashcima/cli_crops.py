"""``ganmash data crops``: a ``--style-from`` folder cut from one MUSCIMA++ page, the way a user crops their hand."""
from __future__ import annotations

from pathlib import Path

import click

from ganwriting_mashcima.options import SeedRange, muscima_pp_option


@click.command()
@click.option("--writer", required=True, type=click.IntRange(min=1), help="MUSCIMA++ writer (1-50).")
@click.option("--page", required=True, type=click.IntRange(min=1), help="Page of that writer (1-20).")
@click.option("--count", type=click.IntRange(min=1), default=16, show_default=True, help="Glyphs to crop.")
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Which glyphs of the page are drawn.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the crops (<class>_<n>.png, black on white), for --style-from.")
@muscima_pp_option
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out.")
def crops(writer: int, page: int, count: int, seed: int, out: Path, muscima_pp: Path | None, overwrite: bool) -> None:
    """Crop --count glyphs of one writer's page, drawn at random from the classes the GAN draws.

    The folder stands in for the ~16 symbols a user would crop from their own manuscripts: pass it to
    `--style-from` of synthesize-staves/pages, `ganmash adapt` or `ganmash benchmark staves`. The crops derive
    from MUSCIMA++ (CC BY-NC-SA 4.0). To adapt to a writer whose staves you score, crop a page you do not score.

    \b
    Examples:
      ganmash data crops --writer 17 --page 7 --out runs/refs/w17
      ganmash adapt --model REC.pt --style-from runs/refs/w17 --out REC-w17.pt
    """
    from gan.files import check_output_dir, replacing_folder
    from symbol_sources import load_muscima_pp, locate_muscima_pp
    from symbol_sources.page_crops import page_crops, write_crops

    check_output_dir(out, overwrite)
    chosen = page_crops(load_muscima_pp(locate_muscima_pp(muscima_pp)), writer, page, count, seed)
    with replacing_folder(out) as tmp:
        write_crops(chosen, tmp)
    classes = sorted({c.glyph_class for c in chosen})
    click.echo(f"wrote {count} crops of writer {writer} page {page} to {out} ({', '.join(classes)})")
