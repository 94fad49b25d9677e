"""Mashcima's own symbol repository, built from the located MUSCIMA++ and only the chosen writers' pages.

Mashcima reads every XML in its crop-object folder and caches them in one pickle (~0.9 GB for the training
writers) under its own data folder, whatever the dataset path. We give it a folder of links to the chosen
pages, so evaluation writers are never even parsed, and a pickle path in ganmash's cache folder keyed by the
pages' content: a different dataset never hits a stale pickle, and two copies of the same data share one.
"""
from __future__ import annotations

import contextlib
import io
import os
import hashlib
import pickle
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from gan import file_sha256, replace_folder

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
    try:
        (tmp / CROP_OBJECT_DIR).mkdir(parents=True)
        for p in pages:
            (tmp / CROP_OBJECT_DIR / p.name).symlink_to(p.resolve())
        try:
            os.rename(tmp, folder)
        except OSError:
            # A complete folder another process made first is kept: a run may be reading through it. Only an
            # incomplete one (no crop-object folder: damaged) is replaced, and never lost before the new is in place.
            if not (folder / CROP_OBJECT_DIR).is_dir():
                replace_folder(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already when it became the folder
    return folder


def pages_content_key(pages: list[Path]) -> str:
    """16 hex digits of sha256 over the pages' names and content (and Mashcima's version, which pickles them)."""
    from importlib.metadata import version

    h = hashlib.sha256(f"mashcima {version('mashcima')}\n".encode())
    for p in sorted(pages, key=lambda p: p.name):
        h.update(f"{p.name}\0{file_sha256(p)}\n".encode())
    return h.hexdigest()[:16]


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
    cache_root = Path(cache_dir or default_cache_dir())
    folder = _linked_pages(Path(muscima_pp), pages, cache_root)
    documents = cache_root / f"mashcima-documents-{pages_content_key(pages)}.pkl"
    legacy = folder / "documents.pkl"  # where earlier ganmash kept it (keyed by the pages' paths): same content
    if legacy.is_file() and not documents.is_file():
        os.replace(legacy, documents)
    # Config.manual_download_config never creates Mashcima's data folder; its code assumes it exists.
    os.makedirs(Config.MASHCIMA_DIR, exist_ok=True)
    config = Config.manual_download_config(muscima_pp_path=str(folder), primus_path="")
    skip = sorted(set(EVALUATION_WRITERS) - keep)  # belt and braces: the links already leave them out
    out = io.StringIO() if quiet else None
    for attempt in (1, 2):
        cached = documents.is_file()
        # Mashcima writes its pickle non-atomically: a new one goes to a temporary name, renamed once complete
        target = documents if cached else cache_root / f".{documents.name}.{secrets.token_hex(4)}.tmp"
        config.MUSCIMA_PP_DOCUMENTS_CACHE_PATH = str(target)
        try:
            with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
                repository = SymbolRepository(config=config, skip_writers=skip)
        except BaseException as e:
            if not cached:
                target.unlink(missing_ok=True)  # a half-written pickle is of no use
            elif attempt == 1 and isinstance(e, (EOFError, pickle.UnpicklingError)):
                documents.unlink(missing_ok=True)  # damaged (an interrupted copy, say): rebuild it
                continue
            raise
        if not cached:
            os.replace(target, documents)
        return repository
