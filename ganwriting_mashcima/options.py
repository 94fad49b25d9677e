"""Click options that several commands share, defined once so their names, defaults and help agree."""
from __future__ import annotations

from pathlib import Path

import click

device_option = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                             help="auto = CUDA when present.")

muscima_pp_option = click.option(
    "--muscima-pp", "muscima_pp", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="MUSCIMA++ v1.0 folder. [default: $GANMASH_MUSCIMA_PP, ./data/muscima-pp/v1.0, "
         "then Mashcima's download folder]")

CACHE_DIR_DEFAULT = "$GANMASH_CACHE_DIR, else $XDG_CACHE_HOME/ganmash, else ~/.cache/ganmash"

cache_dir_option = click.option(
    "--cache-dir", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help=f"ganmash's cache folder. [default: {CACHE_DIR_DEFAULT}]")
