"""``ganmash synthesize-pages``: Smashcima pages from MusicXML, a share of their glyphs drawn by the GAN.

Scene ``i`` of a job (one MusicXML file, all its pages) is source ``i`` (cycling through the sources) under
seed ``scene_seed(i)``, whatever the resumption. Each page's PNG and MuNG file are written atomically, then the
scene's manifest line is appended with one ``write`` and an fsync; resuming skips every scene whose line is
there. Every input is checked (each MusicXML file parsed, checkpoint loaded, assets ready) before anything is
written to the output folder.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from tqdm import tqdm

from gan import append_jsonl, atomic_write_bytes
from symbol_sources.staves import (LEGACY_BANK_SIZE, MANIFEST, StaffJobError, check_count_seed_ratio, check_glyph_draws,
                                   check_job_dir, encode_png, read_manifest, start_job_dir)

PAGES = "pages"
MUNG = "mung"
COMMAND = "synthesize-pages"
MUSICXML_SUFFIXES = (".musicxml", ".xml")
# The names a job writes into PAGES and MUNG (scene-page): only these go when a job starts over.


class PageJobError(StaffJobError):
    """A page-synthesis job that cannot run as asked (one-line message)."""


@dataclass(frozen=True)
class PageJob:
    """Everything that decides what a job's pages are. Saved as ``config.json`` beside the manifest."""

    sources: tuple[str, ...]  # MusicXML files, resolved
    count: int = 0  # scenes; 0: one per source
    ratio: float = 0.5
    seed: int = 0
    paper: str = "solid"  # resolved: "solid" or "mzk"
    checkpoint: str = ""
    checkpoint_sha256: str = ""
    excluded_writers: tuple[int, ...] = ()
    # how the GAN's glyphs are drawn, as for staves (StaffJob): fresh or capped, whose hand, in which precision
    bank_size: int | None = None
    precision: str = "fp32"
    style: str = "per-staff"  # per-staff: the hand of Smashcima's writer for the scene
    novel_scale: float = 1.0
    style_from: str | None = None
    style_from_sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sources:
            raise PageJobError("no MusicXML files given")
        check_count_seed_ratio(self.scenes, self.seed, self.ratio, PageJobError)
        check_glyph_draws(self, PageJobError)

    @property
    def scenes(self) -> int:
        return self.count or len(self.sources)

    def source(self, i: int) -> str:
        return self.sources[i % len(self.sources)]

    def scene_seed(self, i: int) -> int:
        return int(np.random.SeedSequence([self.seed, i]).generate_state(1, np.uint32)[0])

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["sources"], d["excluded_writers"] = list(self.sources), list(self.excluded_writers)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PageJob":
        d = dict(d)
        d.setdefault("bank_size", LEGACY_BANK_SIZE)  # a config.json from before fresh glyphs: a bank of 32
        return cls(**{**d, "sources": tuple(d["sources"]), "excluded_writers": tuple(d["excluded_writers"])})


def musicxml_files(files: list[str | os.PathLike] = (), folder: str | os.PathLike | None = None) -> list[Path]:
    """The MusicXML files given one by one and those in ``folder`` (sorted), each resolved."""
    paths = [Path(f) for f in files]
    if folder is not None:
        folder = Path(folder)
        if not folder.is_dir():
            raise PageJobError(f"--musicxml-dir {folder} is not a folder")
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in MUSICXML_SUFFIXES and p.is_file())
        if not found:
            raise PageJobError(f"--musicxml-dir {folder} holds no .musicxml or .xml files")
        paths += found
    if not paths:
        raise PageJobError("give MusicXML files (--musicxml FILE) or a folder of them (--musicxml-dir DIR)")
    return [p.resolve() for p in paths]


def _stderr(message: str) -> None:
    # not warnings.warn: Smashcima's imports (augraphy) switch every warning off for the whole process
    print(f"ganmash: {message}", file=sys.stderr)


def load_musicxml(path: str | os.PathLike, log: Callable[[str], None] = _stderr):
    """The Smashcima ``Score`` of a MusicXML file, or a one-line error naming the file. Notes that state no stem
    direction get one (Smashcima cannot infer it), said in ``log``."""
    from smashcima.loading import load_score

    path = Path(path)
    if not path.is_file():
        raise PageJobError(f"MusicXML file {path} does not exist")
    try:
        data = path.read_bytes().decode("utf-8")
    except (UnicodeDecodeError, OSError) as e:
        raise PageJobError(f"cannot read MusicXML file {path} ({type(e).__name__})") from None
    data = _with_stems(data, path, log)
    try:
        score = load_score(data=data, format=".musicxml")
    except Exception as e:  # noqa: BLE001 - Smashcima's loader signals bad input with bare asserts and Exception
        detail = str(e).splitlines()[0] if str(e) else ""
        raise PageJobError(f"{path} is not MusicXML that Smashcima can read ({type(e).__name__}"
                           f"{': ' + detail if detail else ''})") from None
    if score.measure_count == 0:
        raise PageJobError(f"{path} holds no measures")
    return score


def _with_stems(data: str, path: Path, log: Callable[[str], None]) -> str:
    """``data`` with a stem direction on every note that lacks one, or a one-line error saying what is missing."""
    from symbol_sources.musicxml_export import notes_without_stems, with_stem_directions

    missing = notes_without_stems(data)
    if not missing:
        return data
    try:
        data = with_stem_directions(data)
    except Exception as e:  # noqa: BLE001 - music21 fails on odd files in many ways
        raise PageJobError(f"{path}: {missing} notes have no <stem> direction, which Smashcima cannot infer, and "
                           f"music21 cannot read the file to add them ({type(e).__name__}); give each note "
                           "<stem>up</stem> or <stem>down</stem>") from None
    log(f"{path}: {missing} notes state no stem direction; drawn down from the middle line up, else up")
    return data


def page_png(bgra: np.ndarray) -> bytes:
    """A rendered page (BGRA) flattened onto white, as PNG."""
    alpha = bgra[:, :, 3:4].astype(np.float32) / 255
    bgr = np.round(bgra[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return encode_png(bgr)


def render_scene(model, job: PageJob, i: int, score) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """Scene ``i``: its manifest record and its files (name, content), nothing written yet."""
    from smashcima.exporting.MungExporter import MungExporter

    scene = model.synthesize(score=score, seed=job.scene_seed(i))
    record: dict[str, Any] = {"index": i, "source": job.source(i), "seed": job.scene_seed(i),
                              "writer": int(scene.mpp_writer)}
    if hasattr(model, "glyph_synthesizer"):
        record.update(gan_writer=model.glyph_synthesizer.bank.hand, generated=model.counts.generated,
                      real=model.counts.real)
    files, pages = [], []
    for p, page in enumerate(scene.pages, 1):
        image, mung = f"{PAGES}/{i:06d}-{p}.png", f"{MUNG}/{i:06d}-{p}.xml"
        bgra = scene.render(page)
        files.append((image, page_png(bgra)))
        files.append((mung, ET.tostring(MungExporter().export(scene.compose_page(page)), encoding="utf-8")))
        pages.append({"image": image, "mung": mung, "height": int(bgra.shape[0]), "width": int(bgra.shape[1])})
    record["pages"] = pages
    return record, files


def synthesize_pages(model, job: PageJob, out: str | os.PathLike, resume: bool = False, overwrite: bool = False,
                     progress: bool = True, scores: dict[str, Any] | None = None,
                     log: Callable[[str], None] = _stderr) -> dict[str, int]:
    """Render the job's scenes into ``out``; returns counts of written and skipped scenes, pages, and scenes
    already done. ``model`` is a ``GanHandwrittenModel`` (or any ``OfflineHandwrittenModel``); ``scores`` the
    parsed sources (parsed here when not given: every source is read before ``out`` is touched). Each skipped
    scene's reason goes to ``log``."""
    out = Path(out)
    done = check_job_dir(out, job, resume, overwrite, COMMAND)
    fresh, done = done is None, done or set()
    todo = [i for i in range(job.scenes) if i not in done]
    scores = scores if scores is not None else {s: load_musicxml(s, log) for s in job.sources}
    # --overwrite, every input checked: the old job's pages go, so none passes for this one's
    start_job_dir(out, job, fresh, folders=(PAGES, MUNG))
    first_error = None
    for i in tqdm(todo, unit="scene", desc="pages", disable=not progress):
        try:
            record, files = render_scene(model, job, i, scores[job.source(i)])
        except Exception as e:  # noqa: BLE001 - Smashcima signals unsupported notation with bare asserts and more
            error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            first_error = first_error or f"scene {i}: {error}"
            log(f"skipped scene {i}: Smashcima cannot render {job.source(i)} ({error})")
            append_jsonl(out / MANIFEST, {"index": i, "source": job.source(i), "seed": job.scene_seed(i),
                                          "skipped": True, "error": error})
            continue
        for name, content in files:
            atomic_write_bytes(out / name, content)  # the files first: a manifest line means they are there
        append_jsonl(out / MANIFEST, record)
    todo_set = set(todo)
    new = [r for r in read_manifest(out) if r["index"] in todo_set]
    stats = {"written": sum("pages" in r for r in new), "skipped": sum(bool(r.get("skipped")) for r in new),
             "pages": sum(len(r.get("pages", ())) for r in new), "already_done": len(done & set(range(job.scenes)))}
    if stats["skipped"] and not stats["written"] and not stats["already_done"]:
        raise PageJobError(f"Smashcima rendered none of the {stats['skipped']} scenes (the first, {first_error})")
    return stats
