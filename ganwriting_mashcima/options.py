"""Click options that several commands share, defined once so their names, defaults and help agree."""
from __future__ import annotations

import importlib
from pathlib import Path

import click

from gan.config import MAX_SEED

device_option = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                             help="auto = CUDA when present.")

muscima_pp_option = click.option(
    "--muscima-pp", "muscima_pp", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="MUSCIMA++ v1.0 folder. [default: $GANMASH_MUSCIMA_PP, ./data/muscima-pp/v1.0, "
         "then Mashcima's download folder]")

SeedRange = click.IntRange(0, MAX_SEED)


def int_list(ctx, param, value: str | None) -> list[int] | None:
    """Callback of an option of comma-separated writer numbers."""
    if value is None:
        return None
    try:
        return [int(v) for v in value.replace(",", " ").split()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated writer numbers, got {value!r}") from None

# The CVC-MUSCIMA gold staves beside the project checkout (the shared data folder's layout).
DEFAULT_GOLD = Path("../shared/cvc-muscima-gold/dev.tsv")


class LazyChoice(click.Choice):
    """A ``Choice`` among the keys (or items) of ``module.attribute``, imported when first needed: on parsing the
    option or showing its command's help, not when the CLI lists its commands."""

    def __init__(self, module: str, attribute: str) -> None:
        self._source = (module, attribute)
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        module, attribute = self._source
        values = getattr(importlib.import_module(module), attribute)
        return tuple(sorted(values) if isinstance(values, dict) else values)

CACHE_DIR_DEFAULT = "$GANMASH_CACHE_DIR, else $XDG_CACHE_HOME/ganmash, else ~/.cache/ganmash"

cache_dir_option = click.option(
    "--cache-dir", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help=f"ganmash's cache folder. [default: {CACHE_DIR_DEFAULT}]")
