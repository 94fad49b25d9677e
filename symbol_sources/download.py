"""``ganmash data download``: fetch the official MUSCIMA++ v1.0 zip, atomically, with a progress bar."""
from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from gan import check_replaceable_folder, replace_folder

# The URL Mashcima's Config.download_muscima_pp uses.
MUSCIMA_PP_URL = "https://lindat.mff.cuni.cz/repository/xmlui/bitstream/handle/11372/LRT-2372/MUSCIMA-pp_v1.0.zip"


class DownloadError(RuntimeError):
    """Download or unpacking failed (one-line message); nothing half-done is left in place."""


def _fetch(url: str, dest: Path, progress: bool) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, open(dest, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc="MUSCIMA++", disable=not progress) as bar:
                got = 0
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
    except (OSError, ValueError) as e:  # URLError, HTTPError, timeouts, bad URLs
        raise DownloadError(f"cannot download {url}: {e}") from None
    if total is not None and got != total:
        raise DownloadError(f"download of {url} stopped at {got} of {total} bytes")


def download_muscima_pp(dest: str | os.PathLike, url: str = MUSCIMA_PP_URL, overwrite: bool = False,
                        progress: bool = True) -> Path:
    """Download and unpack MUSCIMA++ v1.0 so that ``dest`` is the ``v1.0`` folder.

    Everything happens in a temporary folder beside ``dest``; ``dest`` appears only when complete, and an old
    one (``overwrite``) goes only once the new one is in place. A ``dest`` that is a link (``make data`` links
    the shared copy) is refused before anything is downloaded.
    """
    dest = Path(dest)
    if (dest.exists() or dest.is_symlink()) and not overwrite:
        raise FileExistsError(f"{dest} already exists; pass --overwrite to download again")
    check_replaceable_folder(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".muscima-pp-download-", dir=dest.parent))
    try:
        archive = work / "MUSCIMA-pp_v1.0.zip"
        _fetch(url, archive, progress)
        try:
            with zipfile.ZipFile(archive) as z:
                z.extractall(work / "unpacked")
        except zipfile.BadZipFile:
            raise DownloadError(f"{url} did not return a zip archive") from None
        found = [p.parent.parent for p in (work / "unpacked").rglob("cropobjects_withstaff") if p.is_dir()]
        if not found:
            raise DownloadError(f"the archive from {url} holds no data/cropobjects_withstaff folder")
        return replace_folder(found[0], dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
