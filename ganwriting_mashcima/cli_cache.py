"""``ganmash cache``: where ganmash's caches live, how large they are, and removing them."""
from __future__ import annotations

from pathlib import Path

import click

from ganwriting_mashcima.errors import FriendlyGroup
from ganwriting_mashcima.options import CACHE_DIR_DEFAULT, cache_dir_option


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"


def _folder(cache_dir: Path | None) -> Path:
    from symbol_sources import default_cache_dir  # numpy and friends: only when a cache command runs

    folder = Path(cache_dir or default_cache_dir())
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"cache folder {folder} exists and is not a folder")
    return folder


@click.group(cls=FriendlyGroup, help=f"""Show or remove ganmash's caches: MUSCIMA++ pages parsed by ganmash and
pickled by Mashcima (~0.9 GB per page set), generated glyph banks (up to ~0.2 GB per checkpoint and seed).
All are rebuilt when needed. Folder: {CACHE_DIR_DEFAULT}.

\b
Examples:
  ganmash cache info
  ganmash cache clear
  GANMASH_CACHE_DIR=/scratch/ganmash ganmash synthesize-staves --out staves
""")
def cache() -> None:
    pass


@cache.command()
@cache_dir_option
def info(cache_dir: Path | None) -> None:
    """List ganmash's caches with their sizes.

    \b
    Example:
      ganmash cache info
    """
    from symbol_sources.caches import cache_entries

    folder = _folder(cache_dir)
    entries = cache_entries(folder)
    click.echo(f"ganmash cache folder: {folder}  (set GANMASH_CACHE_DIR to move it)")
    for e in entries:
        click.echo(f"{_size(e.size):>10}  {e.kind:<38} {e.path.name}")
    click.echo(f"total {_size(sum(e.size for e in entries))} in {len(entries)} entries"
               + ("; `ganmash cache clear` removes them" if entries else ""))
    from mashcima.Config import Config

    pickle = Path(Config.MASHCIMA_DIR) / "muscima-pp-documents-cache.pkl"  # plain Mashcima's, outside ganmash
    if pickle.is_file():
        click.echo(f"not ganmash's, left alone: {_size(pickle.stat().st_size)} Mashcima's own page pickle {pickle}")


@cache.command()
@cache_dir_option
def clear(cache_dir: Path | None) -> None:
    """Remove ganmash's caches (only files it knows it wrote; nothing else in the folder, and no temporary file
    changed within the last hour: a job may be writing it).

    \b
    Example:
      ganmash cache clear
    """
    from symbol_sources.caches import clear_caches

    folder = _folder(cache_dir)
    removed = clear_caches(folder)
    click.echo(f"removed {len(removed)} cache entries ({_size(sum(e.size for e in removed))}) from {folder}")
