"""`ganmash data download` against a real HTTP server on loopback."""
from __future__ import annotations

import functools
import http.server
import threading
import zipfile
from pathlib import Path

import pytest

from symbol_sources import DownloadError, download_muscima_pp, load_muscima_pp


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/www on 127.0.0.1; yields its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _official_layout_zip(path: Path, muscima_root: Path) -> None:
    """A zip laid out like the official one: v1.0/data/cropobjects_withstaff/*.xml (one real page)."""
    page = "CVC-MUSCIMA_W-01_N-10_D-ideal.xml"
    with zipfile.ZipFile(path, "w") as z:
        z.write(muscima_root / "data" / "cropobjects_withstaff" / page, f"v1.0/data/cropobjects_withstaff/{page}")
        z.writestr("v1.0/README.md", "MUSCIMA++")


def test_download_unpacks_a_readable_dataset(server, muscima_root, tmp_path):
    www, url = server
    _official_layout_zip(www / "m.zip", muscima_root)
    dest = download_muscima_pp(tmp_path / "data" / "v1.0", url=f"{url}/m.zip", progress=False)
    assert len(load_muscima_pp(dest, use_cache=False).documents) == 1
    assert [p.name for p in dest.parent.iterdir()] == ["v1.0"]  # no temp leftovers


def test_missing_file_leaves_nothing_behind(server, tmp_path):
    _, url = server
    with pytest.raises(DownloadError, match="404"):
        download_muscima_pp(tmp_path / "data" / "v1.0", url=f"{url}/nope.zip", progress=False)
    assert list((tmp_path / "data").iterdir()) == []


def test_a_non_zip_answer_is_refused(server, tmp_path):
    www, url = server
    (www / "page.zip").write_text("<html>login required</html>")
    with pytest.raises(DownloadError, match="not return a zip"):
        download_muscima_pp(tmp_path / "v1.0", url=f"{url}/page.zip", progress=False)
    assert not (tmp_path / "v1.0").exists()


def test_existing_dataset_is_not_overwritten(tmp_path):
    (tmp_path / "v1.0").mkdir()
    with pytest.raises(FileExistsError, match="--overwrite"):
        download_muscima_pp(tmp_path / "v1.0", url="http://127.0.0.1:9/x.zip", progress=False)


def test_overwrite_keeps_the_old_dataset_until_the_new_one_is_complete(server, muscima_root, tmp_path):
    www, url = server
    dest = tmp_path / "data" / "v1.0"
    dest.mkdir(parents=True)
    (dest / "old.txt").write_text("old")
    with pytest.raises(DownloadError, match="404"):
        download_muscima_pp(dest, url=f"{url}/nope.zip", overwrite=True, progress=False)
    assert (dest / "old.txt").read_text() == "old"  # a failed download loses nothing
    _official_layout_zip(www / "m.zip", muscima_root)
    download_muscima_pp(dest, url=f"{url}/m.zip", overwrite=True, progress=False)
    assert not (dest / "old.txt").exists() and len(load_muscima_pp(dest, use_cache=False).documents) == 1
    assert [p.name for p in dest.parent.iterdir()] == ["v1.0"]  # the old copy set aside is gone too


def test_overwrite_onto_a_link_is_one_line_before_anything_is_downloaded(muscima_root, tmp_path):
    from click.testing import CliRunner

    from ganwriting_mashcima.cli import main

    www, requested = tmp_path / "www", []
    www.mkdir()
    _official_layout_zip(www / "m.zip", muscima_root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):
            requested.append(fmt % args)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    shared = tmp_path / "shared" / "v1.0"
    shared.mkdir(parents=True)
    (shared / "page.xml").write_text("shared")
    link = tmp_path / "data" / "v1.0"  # what `make data` makes
    link.parent.mkdir()
    link.symlink_to(shared)
    try:
        res = CliRunner().invoke(main, ["data", "download", "--dest", str(link), "--overwrite",
                                        "--url", f"http://127.0.0.1:{httpd.server_address[1]}/m.zip"])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), (res.output, res.exception)
    assert res.output.strip().splitlines() == [f"Error: {link} is a link to {shared}; refusing to replace a link "
                                               "(remove it, or choose another destination)"]
    assert requested == []  # refused before the download, not after it
    assert link.is_symlink() and (shared / "page.xml").read_text() == "shared"
