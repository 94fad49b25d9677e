"""ganmash's caches in the open: `ganmash cache info|clear`, and Mashcima's page pickle keyed by content."""
from __future__ import annotations

import shutil

from click.testing import CliRunner

from ganwriting_mashcima.cli import main
from symbol_sources.caches import cache_entries


def _fake_caches(folder):
    (folder / "glyph-bank-0123456789abcdef").mkdir(parents=True)
    (folder / "glyph-bank-0123456789abcdef" / "w1-stem.npy").write_bytes(b"x" * 3000)
    (folder / "muscima-pp-0123456789abcdef.npz").write_bytes(b"y" * 500)
    (folder / "notes.txt").write_text("the user's own file")


def test_info_lists_each_cache_with_its_size(tmp_path):
    _fake_caches(tmp_path)
    r = CliRunner().invoke(main, ["cache", "info", "--cache-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "3.0 kB  glyph bank" in r.output and "muscima-pp-0123456789abcdef.npz" in r.output
    assert "notes.txt" not in r.output and str(tmp_path) in r.output


def test_info_follows_ganmash_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GANMASH_CACHE_DIR", str(tmp_path / "elsewhere"))
    r = CliRunner().invoke(main, ["cache", "info"])
    assert r.exit_code == 0 and str(tmp_path / "elsewhere") in r.output


def test_clear_removes_only_known_caches(tmp_path):
    _fake_caches(tmp_path)
    r = CliRunner().invoke(main, ["cache", "clear", "--cache-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_ganmash_cache_dir_that_is_a_file_is_a_one_line_error(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("")
    monkeypatch.setenv("GANMASH_CACHE_DIR", str(tmp_path / "f"))
    r = CliRunner().invoke(main, ["cache", "clear"])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit)
    assert r.output.strip().splitlines() == [f"Error: cache folder {tmp_path / 'f'} exists and is not a folder"]


def test_two_copies_of_the_same_pages_share_one_mashcima_pickle(mini_muscima, tmp_path):
    from symbol_sources.mashcima_repository import build_mashcima_repository

    copy = shutil.copytree(mini_muscima, tmp_path / "copy")
    a = build_mashcima_repository(mini_muscima, writers=[1, 2], cache_dir=tmp_path / "cache")
    b = build_mashcima_repository(copy, writers=[1, 2], cache_dir=tmp_path / "cache")
    pickles = [e for e in cache_entries(tmp_path / "cache") if e.path.suffix == ".pkl"]
    assert len(pickles) == 1 and len(a.QUARTER_NOTES) == len(b.QUARTER_NOTES) > 0


def test_an_incomplete_mashcima_page_folder_is_replaced_and_a_complete_one_kept(mini_muscima, tmp_path):
    from symbol_sources.mashcima_repository import _linked_pages
    from symbol_sources.muscima_pp import CROP_OBJECT_DIR, xml_files

    pages, cache = xml_files(mini_muscima), tmp_path / "cache"
    folder = _linked_pages(mini_muscima, pages, cache)
    shutil.rmtree(folder / CROP_OBJECT_DIR)
    (folder / "documents.pkl").write_bytes(b"half a pickle")  # damaged: no crop-object folder
    assert _linked_pages(mini_muscima, pages, cache) == folder
    assert sorted(p.name for p in (folder / CROP_OBJECT_DIR).iterdir()) == sorted(p.name for p in pages)
    (folder / "in-use").write_text("a run reads through this folder")
    assert _linked_pages(mini_muscima, pages, cache) == folder and (folder / "in-use").is_file()
    assert [p.name for p in cache.iterdir()] == [folder.name]  # no temporary folders left


def test_clear_leaves_the_temporary_files_of_writes_still_in_flight(tmp_path):
    import os
    import time

    from symbol_sources.caches import IN_FLIGHT_SECONDS

    writing = tmp_path / ".mashcima-documents-0123456789abcdef.pkl.1a2b3c4d.tmp"  # a job pickling right now
    writing.write_bytes(b"half a pickle")
    stale_dir = tmp_path / ".mashcima-k3j4h5"  # a job's temporary folder, killed long ago
    stale_dir.mkdir()
    (stale_dir / "page.xml").write_text("link")
    old = time.time() - IN_FLIGHT_SECONDS - 60
    for p in (stale_dir / "page.xml", stale_dir):
        os.utime(p, (old, old))
    busy_dir = tmp_path / ".glyph-bank-0123456789abcdef.new"  # old folder, a file in it written just now
    busy_dir.mkdir()
    os.utime(busy_dir, (old, old))
    (busy_dir / "w1-stem.npy").write_bytes(b"x")
    r = CliRunner().invoke(main, ["cache", "clear", "--cache-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([writing.name, busy_dir.name])
    assert writing.read_bytes() == b"half a pickle"
