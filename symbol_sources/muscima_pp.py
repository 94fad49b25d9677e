"""Fast MUSCIMA++ v1.0 reader: the 140 ``cropobjects_withstaff`` XML files into columnar numpy arrays.

Every object keeps its class, bounding box, outlinks, writer and page; its RLE mask is decoded into one
flat bit-packed buffer. The region classes ``staff`` and ``staff_space`` carry no ink and are kept
without a mask. A parsed copy is cached on disk, keyed by the XML files' names, sizes and mtimes.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import warnings
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan import atomic_save_npz

CROP_OBJECT_DIR = Path("data") / "cropobjects_withstaff"
REGION_CLASSES = ("staff", "staff_space")
PAGE_FILE_NAME = re.compile(r"^CVC-MUSCIMA_W-(\d+)_N-(\d+)_D-ideal\.xml$")
_CACHE_VERSION = 1


class MuscimaError(ValueError):
    """The MUSCIMA++ data cannot be read (one-line message)."""


@dataclass(frozen=True)
class MuscimaPP:
    """All objects of all pages, one row per object."""

    documents: tuple[str, ...]  # XML file names without ".xml"
    doc_writer: np.ndarray  # (D,) int32
    doc_page: np.ndarray  # (D,) int32
    class_names: tuple[str, ...]
    doc: np.ndarray  # (N,) int32 index into documents
    objid: np.ndarray  # (N,) int32 <Id> within its document
    class_id: np.ndarray  # (N,) int32 index into class_names
    top: np.ndarray  # (N,) int32
    left: np.ndarray
    height: np.ndarray
    width: np.ndarray
    mask_offset: np.ndarray  # (N,) int64 bit offset into mask_bits; -1 for region classes
    mask_bits: np.ndarray  # packed bits of all masks, row-major, one after another
    outlink_offset: np.ndarray  # (N+1,) int64 into outlinks
    outlinks: np.ndarray  # int32 objids (within the same document)
    skipped_files: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.objid)

    @property
    def writer(self) -> np.ndarray:
        return self.doc_writer[self.doc]

    @property
    def page(self) -> np.ndarray:
        return self.doc_page[self.doc]

    def class_index(self, name: str) -> int:
        try:
            return self.class_names.index(name)
        except ValueError:
            raise MuscimaError(f"unknown class {name!r}; valid: {', '.join(sorted(self.class_names))}") from None

    def rows_of_class(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.class_id == self.class_index(name))

    def mask(self, i: int) -> np.ndarray:
        """(height, width) bool mask of object ``i``; a full box for region classes."""
        h, w, off = int(self.height[i]), int(self.width[i]), int(self.mask_offset[i])
        if off < 0:
            return np.ones((h, w), bool)
        byte0, bit0 = divmod(off, 8)
        nbytes = (bit0 + h * w + 7) // 8
        bits = np.unpackbits(self.mask_bits[byte0:byte0 + nbytes])[bit0:bit0 + h * w]
        return bits.reshape(h, w).astype(bool)

    def outlinks_of(self, i: int) -> np.ndarray:
        return self.outlinks[self.outlink_offset[i]:self.outlink_offset[i + 1]]

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.class_id, minlength=len(self.class_names))
        return {c: int(k) for c, k in zip(self.class_names, counts)}


def _decode_rle(text: str, n: int) -> np.ndarray:
    # "0:15 1:10 0:14 ..." -> alternating value:count runs over the row-major box
    runs = np.array(text.replace(":", " ").split(), dtype=np.int64).reshape(-1, 2)
    bits = np.repeat(runs[:, 0].astype(np.uint8), runs[:, 1])
    if len(bits) != n:
        raise ValueError(f"mask has {len(bits)} pixels, box has {n}")
    return bits


def _parse_file(path: str) -> dict:
    """Parse one XML file into plain arrays (runs in a worker process)."""
    root = ET.parse(path).getroot()
    rows, masks, links = [], [], []
    for co in root.iter("CropObject"):
        cls = co.findtext("ClassName")
        top, left = int(co.findtext("Top")), int(co.findtext("Left"))
        h, w = int(co.findtext("Height")), int(co.findtext("Width"))
        rows.append((int(co.findtext("Id")), cls, top, left, h, w))
        mask_text = co.findtext("Mask")
        masks.append(None if cls in REGION_CLASSES or not mask_text else _decode_rle(mask_text, h * w))
        out = co.findtext("Outlinks")
        links.append(np.array(out.split(), np.int32) if out else np.zeros(0, np.int32))
    return {"rows": rows, "masks": masks, "links": links}


def _crop_object_dir(root: Path) -> Path:
    d = Path(root) / CROP_OBJECT_DIR
    if not d.is_dir():
        raise MuscimaError(f"{root} is not a MUSCIMA++ v1.0 folder (no {CROP_OBJECT_DIR}/)")
    return d


def xml_files(root: Path) -> list[Path]:
    files = sorted(p for p in _crop_object_dir(root).iterdir() if PAGE_FILE_NAME.match(p.name))
    if not files:
        raise MuscimaError(f"{_crop_object_dir(root)} holds no CVC-MUSCIMA_W-*_N-*_D-ideal.xml files")
    return files


def files_cache_key(files: list[Path]) -> str:
    h = hashlib.sha1(f"v{_CACHE_VERSION}".encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    if os.environ.get("GANMASH_CACHE_DIR"):
        return Path(os.environ["GANMASH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganmash"


def _assemble(files: list[Path], parsed: list[dict | None]) -> MuscimaPP:
    documents, doc_writer, doc_page, skipped = [], [], [], []
    class_names: dict[str, int] = {}
    cols: dict[str, list] = {k: [] for k in ("doc", "objid", "class_id", "top", "left", "height", "width")}
    mask_offset, bit_chunks, link_chunks, link_lens = [], [], [], []
    bit_pos = 0
    for path, p in zip(files, parsed):
        if p is None:
            skipped.append(path.name)
            continue
        m = PAGE_FILE_NAME.match(path.name)
        d = len(documents)
        documents.append(path.name[:-4])
        doc_writer.append(int(m.group(1)))
        doc_page.append(int(m.group(2)))
        for (objid, cls, top, left, h, w), bits, links in zip(p["rows"], p["masks"], p["links"]):
            for k, v in zip(cols, (d, objid, class_names.setdefault(cls, len(class_names)), top, left, h, w)):
                cols[k].append(v)
            if bits is None:
                mask_offset.append(-1)
            else:
                mask_offset.append(bit_pos)
                bit_chunks.append(bits)
                bit_pos += len(bits)
            link_chunks.append(links)
            link_lens.append(len(links))
    if not documents:
        raise MuscimaError("no MUSCIMA++ file could be read")
    i32 = {k: np.asarray(v, np.int32) for k, v in cols.items()}
    all_bits = np.concatenate(bit_chunks) if bit_chunks else np.zeros(0, np.uint8)
    return MuscimaPP(
        documents=tuple(documents), doc_writer=np.asarray(doc_writer, np.int32),
        doc_page=np.asarray(doc_page, np.int32), class_names=tuple(class_names), **i32,
        mask_offset=np.asarray(mask_offset, np.int64), mask_bits=np.packbits(all_bits),
        outlink_offset=np.concatenate([[0], np.cumsum(link_lens)]).astype(np.int64),
        outlinks=np.concatenate(link_chunks).astype(np.int32) if link_chunks else np.zeros(0, np.int32),
        skipped_files=tuple(skipped))


def _parse_or_warn(path: Path) -> dict | None:
    try:
        return _parse_file(str(path))
    except (ET.ParseError, ValueError, TypeError) as e:
        warnings.warn(f"skipping unreadable MUSCIMA++ file {path.name}: {e}", stacklevel=2)
        return None


def _parse_all(files: list[Path], workers: int) -> list[dict | None]:
    if workers <= 1:
        return [_parse_or_warn(p) for p in files]
    # workers return exceptions instead of raising so one bad file never kills the pool
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_parse_or_exception, [str(p) for p in files], chunksize=4))
    out = []
    for path, r in zip(files, results):
        if isinstance(r, Exception):
            warnings.warn(f"skipping unreadable MUSCIMA++ file {path.name}: {r}", stacklevel=2)
            out.append(None)
        else:
            out.append(r)
    return out


def _parse_or_exception(path: str) -> dict | Exception:
    try:
        return _parse_file(path)
    except (ET.ParseError, ValueError, TypeError) as e:
        return e


_ARRAY_FIELDS = ("doc_writer", "doc_page", "doc", "objid", "class_id", "top", "left", "height", "width",
                 "mask_offset", "mask_bits", "outlink_offset", "outlinks")


def _save_cache(path: Path, data: MuscimaPP) -> None:
    atomic_save_npz(path, compressed=False, documents=np.array(data.documents),
                    class_names=np.array(data.class_names), skipped_files=np.array(data.skipped_files, dtype=str),
                    **{k: getattr(data, k) for k in _ARRAY_FIELDS})


def _load_cache(path: Path) -> MuscimaPP:
    with np.load(path, allow_pickle=False) as z:
        return MuscimaPP(documents=tuple(z["documents"].tolist()), class_names=tuple(z["class_names"].tolist()),
                         skipped_files=tuple(z["skipped_files"].tolist()), **{k: z[k] for k in _ARRAY_FIELDS})


def load_muscima_pp(root: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                    workers: int | None = None, use_cache: bool = True) -> MuscimaPP:
    """Read MUSCIMA++ v1.0 at ``root`` (the folder holding ``data/cropobjects_withstaff``).

    Unreadable XML files are skipped with a warning naming them (listed in ``skipped_files``).
    """
    files = xml_files(Path(root))
    cache = Path(cache_dir or default_cache_dir()) / f"muscima-pp-{files_cache_key(files)}.npz"
    if use_cache and cache.is_file():
        try:
            return _load_cache(cache)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt, never trusted
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    data = _assemble(files, _parse_all(files, workers))
    if use_cache:
        try:
            _save_cache(cache, data)
        except OSError as e:
            print(f"ganmash: could not write MUSCIMA++ cache {cache}: {e.strerror}", file=sys.stderr)
    return data
