"""``ganmash synthesize-staves``: many Mashcima staves with a mixed repository, resumable and shardable.

Staff ``i`` of a job always gets the same seed and annotation, whatever the sharding or resumption:
``seed_i`` comes from (job seed, i), and annotation ``i`` is line ``i`` (cycling) of the annotation file
or Mashcima's ``generate_random_annotation()`` under ``seed_i``. Each staff's PNG is written atomically,
then its manifest line is appended with one ``write`` and an fsync; resuming skips every staff whose
line is there.
"""
from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

import cv2
import numpy as np
from tqdm import tqdm

from gan import MAX_SEED, append_jsonl, atomic_write_bytes, atomic_write_json
from symbol_sources.glyph_draws import DEFAULT_BANK_SIZE, STYLES
from symbol_sources.mashcima_provider import check_real_classes

Mode = Literal["training", "beauty"]
LEGACY_BANK_SIZE = DEFAULT_BANK_SIZE  # what jobs written before fresh glyphs drew from
MANIFEST = "manifest.jsonl"
CONFIG = "config.json"
IMAGES = "images"


class StaffJobError(ValueError):
    """A staff-synthesis job that cannot run as asked (one-line message)."""


def check_count_seed_ratio(count: int, seed: int, ratio: float, error: type = StaffJobError) -> None:
    """The checks every synthesis job makes of its --count, --seed and --ratio."""
    if count < 1:
        raise error(f"--count must be at least 1, got {count}")
    if not 0 <= seed <= MAX_SEED:
        raise error(f"--seed must be in 0..{MAX_SEED}, got {seed}")
    if not 0.0 <= ratio <= 1.0:
        raise error(f"--ratio must be in [0, 1], got {ratio}")


def check_glyph_draws(job, error: type = StaffJobError) -> None:
    """The checks of how a job's generated glyphs are drawn (``bank_size``, ``style``, ``precision``,
    ``novel_scale``, ``style_from``): shared by staff and page jobs."""
    if job.bank_size is not None and job.bank_size < 1:
        raise error(f"--bank-size must be at least 1, got {job.bank_size}")
    if job.style not in STYLES:
        raise error(f"--style must be one of {', '.join(STYLES)}, got {job.style!r}")
    if job.precision not in ("fp32", "bf16"):
        raise error(f"a job's precision is fp32 or bf16 (auto is resolved before), got {job.precision!r}")
    if job.novel_scale <= 0:
        raise error(f"--novel-scale must be > 0, got {job.novel_scale}")
    if job.bank_size is not None and (job.style == "novel" or job.style_from):
        raise error("--bank-size holds training writers' glyphs; --style novel and --style-from need fresh glyphs "
                    "(leave out --bank-size)")


def resolved_hand(precision: str, device: str, style_from: str | os.PathLike | None) -> dict[str, Any]:
    """A job's ``precision`` as this device resolves ``auto``, and its reference folder as an absolute path with
    its content: the fields staff and page jobs record, never what a user typed."""
    from gan import resolve_device, resolve_precision
    from symbol_sources.references import references_sha256

    return {"precision": resolve_precision(precision, resolve_device(device)),
            "style_from": str(Path(style_from).resolve()) if style_from else None,
            "style_from_sha256": references_sha256(style_from) if style_from else ""}


@dataclass(frozen=True)
class StaffJob:
    """Everything that decides what a job's staves are. Saved as ``config.json`` beside the manifest."""

    count: int
    ratio: float = 0.5
    seed: int = 0
    mode: Mode = "training"
    style: str = "per-staff"
    checkpoint: str = ""
    checkpoint_sha256: str = ""  # its content: a new GAN written to the same path is another job, not a resume
    annotations: str | None = None  # a file, one annotation per line; None = Mashcima's random annotations
    shard: tuple[int, int] = (1, 1)  # K-th (1-based) of N
    bank_size: int | None = None  # None: every generated glyph fresh; N: drawn from N per (writer, class)
    real_classes: tuple[str, ...] = ()  # glyph classes the GAN never draws (they stay real at any ratio)
    precision: str = "fp32"  # the GAN's, as resolved (fp32 or bf16: their glyphs differ), never "auto"
    novel_scale: float = 1.0  # style "novel": how far new hands are pushed from the writers' mean (gan.styles)
    style_from: str | None = None  # a folder of reference glyphs whose hand the generated glyphs follow
    style_from_sha256: str = ""  # its content: other references are another job

    def __post_init__(self) -> None:
        check_count_seed_ratio(self.count, self.seed, self.ratio)
        check_glyph_draws(self)
        try:  # frozen: the normalised (sorted, unique) tuple replaces what was given
            object.__setattr__(self, "real_classes", check_real_classes(self.real_classes))
        except ValueError as e:
            raise StaffJobError(f"--real-classes: {e}") from None
        k, n = self.shard
        if not (n >= 1 and 1 <= k <= n):
            raise StaffJobError(f"--shard must be K/N with 1 <= K <= N, got {k}/{n}")

    def indices(self) -> range:
        """The staves of this shard: a contiguous block, so merged shards read in order."""
        k, n = self.shard
        return range((k - 1) * self.count // n, k * self.count // n)

    def staff_seed(self, i: int) -> int:
        return int(np.random.SeedSequence([self.seed, i]).generate_state(1, np.uint32)[0])

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["shard"] = f"{self.shard[0]}/{self.shard[1]}"
        d["real_classes"] = list(self.real_classes)
        return d

    def same_run(self, other: "StaffJob") -> bool:
        """Whether ``other`` makes the same staves (shards of one run differ only in ``shard``)."""
        return dataclasses.replace(self, shard=(1, 1)) == dataclasses.replace(other, shard=(1, 1))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StaffJob":
        d = dict(d)
        k, n = str(d.pop("shard", "1/1")).split("/")
        # a config.json written before bank_size existed was a job of the capped bank of 32 (fresh glyphs came
        # later, and write bank_size: null); before real_classes and precision, their defaults applied
        d.setdefault("bank_size", LEGACY_BANK_SIZE)
        return cls(**{**d, "real_classes": tuple(d.get("real_classes", ()))}, shard=(int(k), int(n)))


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise StaffJobError(f"--shard must look like K/N (e.g. 3/8), got {text!r}") from None
    return k, n


def read_annotations(path: str | os.PathLike) -> list[tuple[int, str]]:
    """Non-blank lines of an annotation file, with their 1-based line numbers."""
    path = Path(path)
    if not path.is_file():
        raise StaffJobError(f"annotation file {path} does not exist")
    try:
        text: str | None = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = None
    except OSError as e:
        raise StaffJobError(f"cannot read annotation file {path}: {e.strerror}") from None
    if text is None or "\0" in text:
        raise StaffJobError(f"annotation file {path} is not text (Mashcima annotations, one per line, expected)")
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if not lines:
        raise StaffJobError(f"annotation file {path} holds no annotations")
    return lines


def read_manifest(folder: Path) -> list[dict[str, Any]]:
    """The complete manifest lines. Never writes: a torn last line (a crash mid-append, or a worker appending
    right now) is left out, not cut off; ``repair_manifest`` cuts it before appending again."""
    path = folder / MANIFEST
    if not path.is_file():
        return []
    data = path.read_bytes()
    records = []
    for n, line in enumerate(data[:data.rfind(b"\n") + 1].splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            int(record["index"])
        except (ValueError, KeyError, TypeError):
            raise StaffJobError(f"{path} line {n} is not a manifest record; the folder is damaged "
                                "(start over with --overwrite)") from None
        records.append(record)
    return records


def repair_manifest(folder: Path) -> None:
    """Cut a torn last line off, so the next append starts a line of its own. Only while nobody appends."""
    path = folder / MANIFEST
    if path.is_file():
        size = path.stat().st_size
        with open(path, "r+b") as f:
            end = f.read().rfind(b"\n") + 1
            if end < size:
                f.truncate(end)


def read_job(folder: Path, job_type: type = StaffJob, command: str = "synthesize-staves"):
    """The job (a ``job_type``: ``StaffJob``, or another job with ``from_dict``) saved in ``folder/config.json``,
    or a one-line error."""
    path = folder / CONFIG
    if not path.is_file():
        raise StaffJobError(f"{folder} is not a {command} folder (no {CONFIG})")
    try:
        return job_type.from_dict(json.loads(path.read_text()))
    except StaffJobError:
        raise
    except (ValueError, TypeError, AttributeError) as e:
        raise StaffJobError(f"{path} is damaged ({type(e).__name__}); start over with --overwrite") from None


def check_job_dir(out: Path, job, resume: bool, overwrite: bool, command: str = "synthesize-staves") -> set[int] | None:
    """What ``out`` allows, without writing: the indices already done when resuming, or None when the job
    starts afresh there. Refuses a folder of another job or one that is not empty (without --overwrite).
    ``job`` is a ``StaffJob`` or another job dataclass with ``from_dict`` and ``to_dict`` (``command`` makes it)."""
    if out.exists() and not out.is_dir():
        raise StaffJobError(f"{out} exists and is not a folder")
    existing = out.is_dir() and any(out.iterdir())
    if existing and resume:
        if not (out / CONFIG).is_file():
            raise StaffJobError(f"{out} is not a {command} folder (no {CONFIG}); cannot --resume")
        if read_job(out, type(job), command) != job:
            raise StaffJobError(f"{out} was made with other settings ({CONFIG}); resume with the same ones "
                                "or use another folder")
        return {r["index"] for r in read_manifest(out)}
    if existing and not overwrite:
        raise StaffJobError(f"{out} exists and is not empty; pass --resume to continue it or --overwrite")
    return None


# What a job writes into its folders: NNNNNN.png (a staff), NNNNNN-P.png and NNNNNN-P.xml (a scene's page P)
JOB_OUTPUT = re.compile(r"\d{6}(-\d+)?\.(png|xml)")


def start_job_dir(out: Path, job, fresh: bool, folders: tuple[str, ...] = (IMAGES,)) -> None:
    """Make ``out`` ready for appending: a fresh job gets its ``folders`` and its ``config.json``, and loses what an
    earlier job wrote there (its manifest and outputs, so none stays beside the new manifest; files of other names
    are left alone); a resumed one gets a manifest without a torn last line. Called after every check."""
    if not fresh:
        repair_manifest(out)
        return
    try:
        for folder in folders:
            (out / folder).mkdir(parents=True, exist_ok=True)
            for old in (out / folder).iterdir():
                if old.is_file() and JOB_OUTPUT.fullmatch(old.name):
                    old.unlink()
    except OSError as e:
        raise StaffJobError(f"cannot prepare output folder {out}: {e.strerror}") from None
    (out / MANIFEST).unlink(missing_ok=True)
    atomic_write_json(out / CONFIG, job.to_dict())


def encode_png(img: np.ndarray) -> bytes:
    """``img`` as PNG bytes; OpenCV's refusal (a shape it cannot write) is an error, not an empty file."""
    ok, png = cv2.imencode(".png", img)
    if not ok:
        raise StaffJobError(f"OpenCV could not encode a {img.shape} {img.dtype} image as PNG")
    return png.tobytes()


def annotation_for(job: StaffJob, i: int, lines: list[tuple[int, str]] | None) -> tuple[str, int | None]:
    if lines is not None:
        line_no, text = lines[i % len(lines)]
        return text, line_no
    from mashcima import generate_random_annotation

    random.seed(job.staff_seed(i) ^ 0x5EED)  # a stream of its own, so rendering stays independent of it
    return generate_random_annotation(), None


def render_staff(repo, job: StaffJob, i: int, annotation: str) -> np.ndarray:
    """Staff ``i`` as uint8, black ink on white. Every random stream is seeded from the staff's seed."""
    return render_staff_counting_clips(repo, job, i, annotation)[0]


def render_staff_counting_clips(repo, job: StaffJob, i: int, annotation: str) -> tuple[np.ndarray, int]:
    """``render_staff``, and how many symbol sprites Mashcima cut at the image's edge. Mashcima prints a line for
    each ("Image does not fit horizontally"), thousands per job; they are counted here instead of printed."""
    import contextlib
    import io

    import mashcima

    seed = job.staff_seed(i)
    random.seed(seed)
    np.random.seed(seed)
    repo.start_staff(seed, annotation)
    synthesize = mashcima.synthesize_for_beauty if job.mode == "beauty" else mashcima.synthesize_for_training
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        ink = synthesize(annotation, symbol_repository=repo)
    clipped = sum("does not fit" in line for line in said.getvalue().splitlines())
    return np.round((1.0 - np.clip(ink, 0.0, 1.0)) * 255).astype(np.uint8), clipped


def _staff_records(repo, job: StaffJob, todo: list[int], lines) -> Iterator[tuple[int, bytes | None, dict]]:
    for i in todo:
        annotation, line_no = annotation_for(job, i, lines)
        record: dict[str, Any] = {"index": i, "annotation": annotation, "seed": job.staff_seed(i)}
        if line_no is not None:
            record["line"] = line_no
        try:
            img, clipped = render_staff_counting_clips(repo, job, i, annotation)
        except Exception as e:  # noqa: BLE001 - Mashcima signals bad annotations with bare asserts and more
            where = f"line {line_no}" if line_no is not None else f"staff {i}"
            record.update(skipped=True, error=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            warnings.warn(f"skipped {where}: Mashcima cannot render {annotation!r} ({record['error']})")
            yield i, None, record
            continue
        png = encode_png(img)
        record.update(file=f"{IMAGES}/{i:06d}.png", real=repo.counts.real, generated=repo.counts.generated,
                      writer_style=repo.writer_style, height=int(img.shape[0]), width=int(img.shape[1]))
        if clipped:
            record["clipped"] = clipped
        yield i, png, record


def _write_staves(repo, job: StaffJob, out: Path, todo: list[int], lines, progress: bool) -> None:
    for i, png, record in tqdm(_staff_records(repo, job, todo, lines), total=len(todo), unit="staff",
                               desc="staves", disable=not progress):
        if png is not None:
            atomic_write_bytes(out / record["file"], png)  # the image first: a manifest line means it is there
        append_jsonl(out / MANIFEST, record)


def _worker(repo, job: StaffJob, out: Path, todo: list[int], lines) -> None:
    import torch

    torch.set_num_threads(1)  # W workers on W cores, not W x cores threads
    _write_staves(repo, job, out, todo, lines, progress=False)


def _write_staves_in_workers(repo, job: StaffJob, out: Path, todo: list[int], lines, workers: int,
                             progress: bool) -> None:
    """Forked workers share the (large) repository and its filled glyph bank copy-on-write; appends of whole
    lines keep the manifest valid."""
    import multiprocessing
    import time

    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(repo, job, out, todo[w::workers], lines)) for w in range(workers)]
    try:
        for p in procs:
            p.start()
        wanted = set(todo)
        with tqdm(total=len(todo), unit="staff", desc=f"staves ({workers} workers)", disable=not progress) as bar:
            while any(p.is_alive() for p in procs):
                time.sleep(0.5)
                bar.update(sum(r["index"] in wanted for r in read_manifest(out)) - bar.n)  # reads, never writes
    finally:  # Ctrl-C or an error here: stop the workers rather than leave them appending
        for p in procs:
            if p.is_alive():
                p.terminate()
            if p.pid is not None:
                p.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise StaffJobError(f"{len(failed)} of {workers} workers failed (exit codes {failed}); "
                            "run again with --resume to finish")


def synthesize_staves(repo, job: StaffJob, out: str | os.PathLike, resume: bool = False, overwrite: bool = False,
                      progress: bool = True, workers: int = 1,
                      repo_factory: Callable[[], Any] | None = None) -> dict[str, int]:
    """Render the job's staves (this shard's) into ``out``; returns counts of written, skipped and done staves,
    and of the written ones with a symbol cut at the image's edge (``clipped``).

    ``repo`` is a ``MixedSymbolRepository``; or ``repo_factory`` builds it lazily (not at all when all is done).
    Every input is checked (annotations read, repository built) before anything is written to ``out``: a job
    that cannot start leaves ``out`` as it was.
    """
    out = Path(out)
    if workers < 1:
        raise StaffJobError(f"--workers must be at least 1, got {workers}")
    done = check_job_dir(out, job, resume, overwrite)
    fresh, done = done is None, done or set()
    lines = read_annotations(job.annotations) if job.annotations else None
    todo = [i for i in job.indices() if i not in done]
    if todo:
        repo = repo if repo is not None else repo_factory()
        if workers > 1 and str(getattr(repo.bank.sampler, "device", "cpu")).startswith("cuda"):
            raise StaffJobError("--workers > 1 needs the CPU; one process already keeps a GPU busy")
    start_job_dir(out, job, fresh)
    if todo:
        if workers == 1:
            _write_staves(repo, job, out, todo, lines, progress)
        else:
            repo.fill_for_staves(job.staff_seed(i) for i in todo)  # once here, not once per forked worker
            _write_staves_in_workers(repo, job, out, todo, lines, workers, progress)
    new = [r for r in read_manifest(out) if r["index"] in set(todo)]
    stats = {"written": sum("file" in r for r in new), "skipped": sum(bool(r.get("skipped")) for r in new),
             "already_done": len(done & set(job.indices())), "clipped": sum("clipped" in r for r in new)}
    if stats["skipped"] and not stats["written"] and not stats["already_done"]:
        raise StaffJobError(f"Mashcima rendered none of the {stats['skipped']} staves (see the warnings above); "
                            "check the annotations")
    return stats


def merge_shards(shards: list[str | os.PathLike], out: str | os.PathLike, overwrite: bool = False) -> dict[str, int]:
    """Join shard folders of one run into ``out`` (images hard-linked where possible, manifest in staff order)."""
    out = Path(out)
    if not shards:
        raise StaffJobError("merge needs at least one shard folder")
    jobs, records = [], []
    for s in map(Path, shards):
        if out.resolve() == s.resolve():
            raise StaffJobError(f"--out {out} is one of the shard folders; merge into a new folder")
        jobs.append(read_job(s))
        records += [(s, r) for r in read_manifest(s)]
    if any(not jobs[0].same_run(j) for j in jobs[1:]):
        raise StaffJobError("the shard folders come from different runs (their config.json differ beyond --shard)")
    by_index: dict[int, tuple[Path, dict]] = {}
    for s, r in records:
        if r["index"] in by_index:
            raise StaffJobError(f"staff {r['index']} is in both {by_index[r['index']][0]} and {s}")
        by_index[r["index"]] = (s, r)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise StaffJobError(f"{out} exists and is not empty; pass --overwrite to replace it")
    (out / IMAGES).mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    atomic_write_json(out / CONFIG, dataclasses.replace(jobs[0], shard=(1, 1)).to_dict())
    for i in sorted(by_index):
        s, r = by_index[i]
        if "file" in r:
            dst = out / r["file"]
            dst.unlink(missing_ok=True)
            try:
                os.link(s / r["file"], dst)
            except OSError:  # another file system: copy
                atomic_write_bytes(dst, (s / r["file"]).read_bytes())
        append_jsonl(out / MANIFEST, r)
    missing = jobs[0].count - len(by_index)
    return {"staves": len(by_index), "missing": missing}


def contact_sheet(folder: str | os.PathLike, out: str | os.PathLike, n: int = 6, width: int = 1200) -> Path:
    """The first ``n`` staves of a staff folder stacked into one PNG, each scaled to ``width`` pixels (aspect
    kept), with a caption line of its glyph counts and writer style: one image that shows what a run made."""
    folder = Path(folder)
    records = [r for r in read_manifest(folder) if "file" in r][:n]
    if not records:
        raise StaffJobError(f"{folder} holds no staves (no manifest lines with images)")
    rows = []
    for r in records:
        img = cv2.imread(str(folder / r["file"]), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise StaffJobError(f"cannot read {folder / r['file']}")
        img = cv2.resize(img, (width, max(1, round(img.shape[0] * width / img.shape[1]))), interpolation=cv2.INTER_AREA)
        caption = np.full((22, width), 255, np.uint8)
        cv2.putText(caption, f"staff {r['index']}: {r.get('generated', 0)} generated, {r.get('real', 0)} real glyphs"
                             f"; writer style {r.get('writer_style', '-')}", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
        rows += [caption, img, np.full((10, width), 255, np.uint8)]
    return atomic_write_bytes(out, encode_png(np.concatenate(rows)))
