"""Atomic file writes: a reader never sees a half-written file, and a crash never clobbers a good one."""
from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, Callable, IO, Iterator


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(f)`` on a temporary file beside ``path``, fsync it, then rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp_file(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _create_temp_file(path: Path) -> tuple[int, Path]:
    """A new, exclusively created ``.NAME.XXXXXXXX.tmp`` beside ``path``, mode 0666 less the umask. Not
    ``mkstemp``: its 0600 would need the umask to correct, and reading the umask means setting it, which races
    with every other thread creating files; ``open`` applies the umask itself."""
    return _create_beside(path, ".tmp", lambda tmp: os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


def _create_beside(path: Path, suffix: str, create: Callable[[Path], Any]) -> tuple[Any, Path]:
    """``create(tmp)`` for the first free ``.NAME.XXXXXXXX<suffix>`` beside ``path``."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{suffix}"
        try:
            return create(tmp), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary name beside {path}")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_bytes(path, (json.dumps(obj, indent=1) + "\n").encode())


def append_jsonl(path: str | os.PathLike, record: Any) -> None:
    """Append ``record`` as one JSON line, in a single ``write`` where the system takes it whole, then fsync:
    a reader or a crash sees the whole line or a torn last one (which readers leave out), so a log or manifest
    stays valid line by line. A short write (a full disk, a file-size limit) is continued until the line is
    complete, or raises: the line is never silently cut."""
    line = memoryview((json.dumps(record) + "\n").encode())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        while line:
            written = os.write(fd, line)
            if written == 0:
                raise OSError(f"cannot append to {path}: nothing more was written")
            line = line[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def complete_jsonl(path: str | os.PathLike) -> list[Any]:
    """The records of a JSON-lines file written by ``append_jsonl``, without a torn last line (a crash
    mid-append leaves one, without its newline). A damaged complete line raises ``ValueError`` naming it."""
    data = Path(path).read_bytes()
    records = []
    for n, line in enumerate(data[:data.rfind(b"\n") + 1].splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            raise ValueError(f"{path} line {n} is not a JSON record; the file is damaged") from None
    return records


def atomic_save_npz(path: str | os.PathLike, compressed: bool = True, **arrays) -> Path:
    import numpy as np

    def write(f: IO[bytes]) -> None:
        # numpy's savez needs a seekable stream; buffer in memory so the rename stays the only disk-visible step
        buf = io.BytesIO()
        (np.savez_compressed if compressed else np.savez)(buf, **arrays)
        f.write(buf.getbuffer())

    return atomic_write(path, write)


def check_output_dir(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse (one line) an output folder a job may not fill: a non-empty one unless ``overwrite``, a file or a
    link (``check_replaceable_folder``), or one that cannot be created. Creates nothing: call it before the work,
    and write the result with ``replacing_folder``, so the folder appears, or is replaced, only when complete.
    """
    path = check_replaceable_folder(path)
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(f"{path} exists and is not empty; pass --overwrite to replace its contents")
    return check_can_create(path)  # replacing it, too, writes into its parent


def check_can_create(path: str | os.PathLike) -> Path:
    """Refuse (one line) a ``path`` that cannot be written because its nearest existing folder is a file or not
    writable (the folders missing between are created when it is written)."""
    path = Path(path)
    folder = next((p for p in path.parents if p.exists() or p.is_symlink()), Path("."))
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot create {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot create {path}: {folder} is not writable")
    return path


def check_replaceable_folder(path: str | os.PathLike) -> Path:
    """Refuse (one line) a ``path`` that ``replace_folder`` must not replace: a link (replacing it would drop
    the link, not what it points to, and a ``make data`` link points at a shared copy) or something not a
    folder. Call it before the work that makes the new folder."""
    path = Path(path)
    if path.is_symlink():
        raise FileExistsError(f"{path} is a link to {os.readlink(path)}; refusing to replace a link "
                              "(remove it, or choose another destination)")
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a folder")
    return path


def replace_folder(new: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Put the complete folder ``new`` in place of ``target`` (same file system) without ever losing both:
    the old ``target`` is renamed aside, ``new`` renamed into place, and only then the old one deleted. If
    ``new`` cannot be put in place, the old one is renamed back and the error raised."""
    new, target = Path(new), check_replaceable_folder(target)
    if not target.exists():
        os.rename(new, target)
        return target
    aside = target.parent / f".{target.name}.{secrets.token_hex(4)}.old"
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)  # the new folder is in place: a leftover costs only space
    return target


@contextlib.contextmanager
def replacing_folder(target: str | os.PathLike) -> Iterator[Path]:
    """An empty temporary folder beside ``target`` to fill; when the block ends without an error it replaces
    ``target`` (``replace_folder``), otherwise it is removed and ``target`` is untouched."""
    target = check_replaceable_folder(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _, tmp = _create_beside(target, ".new", lambda tmp: os.mkdir(tmp, 0o777))  # not mkdtemp's 0700: see above
    try:
        yield tmp
        replace_folder(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already when it replaced target
