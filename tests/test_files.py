"""gan/files.py: atomic writes, JSON-lines appends and reads, and replacing a folder without losing both copies."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter: umasks and file-size limits must not leak into the test process."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def folder_with(path: Path, name: str, text: str) -> Path:
    path.mkdir()
    (path / name).write_text(text)
    return path


# -- atomic writes --------------------------------------------------------------------------------------------------
def test_atomic_write_gives_the_users_usual_permissions(tmp_path):
    res = run_python(f"import os; os.umask(0o027); from gan.files import atomic_write_bytes; "
                     f"atomic_write_bytes({str(tmp_path / 'f.bin')!r}, b'x')")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]  # no temporary file left


def test_atomic_write_never_sets_the_process_umask(tmp_path, monkeypatch):
    # setting the umask, even for a moment, changes the mode of files other threads create meanwhile
    calls = []
    real_umask = os.umask
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or real_umask(mask))
    from gan.files import atomic_write_bytes

    atomic_write_bytes(tmp_path / "f.bin", b"x")
    assert calls == []


# -- JSON lines -------------------------------------------------------------------------------------------------
def test_append_jsonl_raises_on_a_short_write_instead_of_cutting_the_line(tmp_path):
    # a file-size limit makes the kernel take only part of the line (then refuse more): a real short write
    path = tmp_path / "log.jsonl"
    path.write_text('{"epoch": 1}\n')
    code = (f"import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({path.stat().st_size + 10}, resource.RLIM_INFINITY)); "
            f"from gan.files import append_jsonl; append_jsonl({str(path)!r}, {{'epoch': 2, 'loss': 0.123456789}})")
    res = run_python(code)
    assert res.returncode != 0 and "OSError" in res.stderr, res.stderr  # not a silent success
    assert path.read_text().startswith('{"epoch": 1}\n')  # the old record is still there


def test_complete_jsonl_leaves_out_a_torn_last_line(tmp_path):
    from gan.files import append_jsonl, complete_jsonl

    path = tmp_path / "log.jsonl"
    append_jsonl(path, {"epoch": 1})
    append_jsonl(path, {"epoch": 2})
    with open(path, "a") as f:
        f.write('{"epoch": 3, "lo')  # a process killed mid-append
    assert complete_jsonl(path) == [{"epoch": 1}, {"epoch": 2}]


def test_complete_jsonl_names_a_damaged_middle_line(tmp_path):
    from gan.files import complete_jsonl

    path = tmp_path / "log.jsonl"
    path.write_text('{"epoch": 1}\n{"epo\n{"epoch": 3}\n')
    with pytest.raises(ValueError, match="line 2 is not a JSON record"):
        complete_jsonl(path)


# -- replacing a folder -----------------------------------------------------------------------------------------
def test_replace_folder_puts_the_new_one_in_place_and_removes_the_old(tmp_path):
    from gan.files import replace_folder

    old = folder_with(tmp_path / "set", "a.txt", "old")
    new = folder_with(tmp_path / ".set.new", "b.txt", "new")
    replace_folder(new, old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]
    assert [p.name for p in old.iterdir()] == ["b.txt"]


def test_replace_folder_that_fails_keeps_the_old_folder(tmp_path):
    from gan.files import replace_folder

    old = folder_with(tmp_path / "set", "a.txt", "old")
    with pytest.raises(FileNotFoundError):
        replace_folder(tmp_path / "never-made", old)  # the new folder cannot be renamed into place
    assert (old / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]  # renamed back, nothing left aside


def test_replacing_folder_leaves_the_old_one_untouched_when_the_block_fails(tmp_path):
    from gan.files import replacing_folder

    old = folder_with(tmp_path / "set", "a.txt", "old")
    with pytest.raises(RuntimeError):
        with replacing_folder(old) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("interrupted")
    assert [p.name for p in old.iterdir()] == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_replacing_folder_gives_the_users_usual_permissions(tmp_path):
    res = run_python(f"import os; os.umask(0o027); from gan.files import replacing_folder\n"
                     f"with replacing_folder({str(tmp_path / 'set')!r}) as tmp: (tmp / 'f').write_text('x')")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "set").stat().st_mode & 0o777 == 0o750  # not mkdtemp's 0700


def test_replace_folder_refuses_a_link_and_keeps_what_it_points_to(tmp_path):
    from gan.files import replace_folder

    shared = folder_with(tmp_path / "shared", "a.txt", "shared")
    (tmp_path / "link").symlink_to(shared)
    new = folder_with(tmp_path / ".new", "b.txt", "new")
    with pytest.raises(FileExistsError, match=r"link is a link to .*shared; refusing to replace a link"):
        replace_folder(new, tmp_path / "link")
    assert (tmp_path / "link").is_symlink() and (tmp_path / "link" / "a.txt").read_text() == "shared"
    assert (new / "b.txt").is_file()
