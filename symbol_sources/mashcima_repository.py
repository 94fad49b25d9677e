"""Mashcima's own symbol repository, built from the located MUSCIMA++ and only the chosen writers' pages.

Mashcima reads every XML in its crop-object folder and caches them in one pickle under its own data folder,
whatever the dataset path. We give it a folder of links to the chosen pages and a cache file keyed by
those pages, so evaluation writers are never even parsed and a different dataset never hits a stale cache.
"""
from __future__ import annotations

import contextlib
import io
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from symbol_sources.extract import EVALUATION_WRITERS, chosen_writers
from symbol_sources.muscima_pp import (CROP_OBJECT_DIR, PAGE_FILE_NAME, MuscimaError, default_cache_dir,
                                       files_cache_key, xml_files)


def _linked_pages(root: Path, pages: list[Path], cache_dir: Path) -> Path:
    """A MUSCIMA++-shaped folder of links to ``pages``, made once per page set (atomically)."""
    folder = cache_dir / f"mashcima-{files_cache_key(pages)}"
    if (folder / CROP_OBJECT_DIR).is_dir():
        return folder
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mashcima-", dir=cache_dir))
    (tmp / CROP_OBJECT_DIR).mkdir(parents=True)
    for p in pages:
        (tmp / CROP_OBJECT_DIR / p.name).symlink_to(p.resolve())
    try:
        os.replace(tmp, folder)
    except OSError:  # another process made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def build_mashcima_repository(muscima_pp: str | os.PathLike, writers: Iterable[int] | None = None,
                              exclude_writers: Iterable[int] | None = None,
                              cache_dir: str | os.PathLike | None = None, quiet: bool = True):
    """``mashcima.SymbolRepository`` over the chosen writers (default: all but the evaluation writers)."""
    from mashcima.Config import Config
    from mashcima.SymbolRepository import SymbolRepository

    files = xml_files(Path(muscima_pp))
    writer_of = {p: int(PAGE_FILE_NAME.match(p.name).group(1)) for p in files}
    keep = chosen_writers(writer_of.values(), writers, exclude_writers)
    pages = [p for p in files if writer_of[p] in keep]
    if not pages:
        raise MuscimaError(f"no MUSCIMA++ pages of writers {sorted(keep)} in {muscima_pp}")
    folder = _linked_pages(Path(muscima_pp), pages, Path(cache_dir or default_cache_dir()))
    # Config.manual_download_config never creates Mashcima's data folder; its code assumes it exists.
    os.makedirs(Config.MASHCIMA_DIR, exist_ok=True)
    config = Config.manual_download_config(muscima_pp_path=str(folder), primus_path="")
    config.MUSCIMA_PP_DOCUMENTS_CACHE_PATH = str(folder / "documents.pkl")
    skip = sorted(set(EVALUATION_WRITERS) - keep)  # belt and braces: the links already leave them out
    out = io.StringIO() if quiet else None
    for attempt in (1, 2):
        try:
            with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
                return SymbolRepository(config=config, skip_writers=skip)
        except (EOFError, pickle.UnpicklingError):
            # Mashcima writes its cache non-atomically; an interrupted first run leaves a truncated pickle
            if attempt == 2:
                raise
            Path(config.MUSCIMA_PP_DOCUMENTS_CACHE_PATH).unlink(missing_ok=True)
