"""``ganmash data transcribe``: gold staff transcriptions of MUSCIMA++ pages, read off their symbol graphs."""
from __future__ import annotations

from pathlib import Path

import click

from gan.config import VALIDATION_WRITERS
from ganwriting_mashcima.errors import refuse_existing
from ganwriting_mashcima.options import int_list, muscima_pp_option


@click.command()
@click.option("--writers", callback=int_list, default=",".join(map(str, VALIDATION_WRITERS)), show_default=True,
              help="Comma-separated MUSCIMA++ writers; every page of each is transcribed. The default is the "
                   "validation writers.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Gold TSV to write (writer, page, staff, annotation), as --gold of recognize and benchmark "
                   "staves take it.")
@muscima_pp_option
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def transcribe(writers: list[int], out: Path, muscima_pp: Path | None, overwrite: bool) -> None:
    """Transcribe every staff of the writers' MUSCIMA++ pages into Mashcima's encoding, for gold.

    Staves are numbered from the top of the page as the staff images are cut, so the file scores recognisers
    on those writers' real staves. A staff whose objects cannot give a line Mashcima's parser takes (a beam
    through another voice, a note past the fourth ledger line, ...) is skipped and counted by reason, never
    guessed; grace notes, chords and measure repeats are written `?`, Mashcima's unknown symbol. The file
    derives from MUSCIMA++ (CC BY-NC-SA 4.0): build it by command, do not commit it.

    \b
    Examples:
      ganmash data transcribe --out runs/gold/val.tsv
      ganmash data transcribe --writers 4,11 --out w4-11.tsv --overwrite
      ganmash recognize --model REC.pt --gold runs/gold/val.tsv --out val-ser.json
    """
    refuse_existing(out, overwrite)
    from gan.files import atomic_write_bytes
    from symbol_sources import load_muscima_pp, locate_muscima_pp
    from symbol_sources.transcribe import gold_tsv, skip_counts, transcribe_writers, unknown_symbols

    staves = transcribe_writers(load_muscima_pp(locate_muscima_pp(muscima_pp)), writers)
    text = gold_tsv(staves)  # checked row by row before anything is written
    atomic_write_bytes(out, text.encode())
    done = sum(s.transcribed for s in staves)
    skipped = skip_counts(staves)
    click.echo(f"transcribed {done} of {len(staves)} staves of writers {', '.join(map(str, writers))} to {out} "
               f"({unknown_symbols(staves)} unknown symbols '?'); skipped {len(staves) - done}"
               + (": " + "; ".join(f"{reason} ({n})" for reason, n in skipped.items()) if skipped else ""))
