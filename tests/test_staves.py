"""`synthesize-staves`: manifest shares, determinism across shards, resumption, bad annotations."""
from __future__ import annotations

import json
from pathlib import Path

import torch  # noqa: F401 (used by a skipif condition)

import pytest
from click.testing import CliRunner

from ganwriting_mashcima.cli import main
from symbol_sources.mashcima_provider import open_mixed_repository
from symbol_sources.staves import StaffJob, StaffJobError, merge_shards, read_manifest, synthesize_staves

SHORT = ["clef.G-2 q4 q5 #6 q6 | h-2 qr |", "clef.G-2 e=3 =e4 q8 | w0 |", "clef.G-2 b5 q5 * q2 . | h6 |",
         "clef.G-2 qr q1 q2 N3 q3 | q-1 q0 h1 |"]


@pytest.fixture
def annotations(tmp_path):
    path = tmp_path / "annotations.txt"
    path.write_text("\n".join(SHORT) + "\n")
    return path


@pytest.fixture
def repo_for(smoke_checkpoint, muscima_root, real_repository):
    def make(ratio: float):
        return open_mixed_repository(smoke_checkpoint, muscima_root, ratio=ratio, device="cpu", real=real_repository)
    return make


def _job(annotations, count: int, ratio: float = 0.5, **kw) -> StaffJob:
    return StaffJob(count=count, ratio=ratio, mode="beauty", annotations=str(annotations), **kw)


def _files(folder):
    return {p.name: p.read_bytes() for p in (folder / "images").iterdir()}


def test_generated_share_at_half_ratio_over_200_staves(repo_for, annotations, tmp_path):
    synthesize_staves(repo_for(0.5), _job(annotations, 200), tmp_path / "out", progress=False)
    records = read_manifest(tmp_path / "out")
    real, generated = sum(r["real"] for r in records), sum(r["generated"] for r in records)
    assert len(records) == 200 and generated / (real + generated) == pytest.approx(0.5, abs=0.05)


def test_ratio_one_generates_every_covered_glyph(repo_for, annotations, tmp_path):
    synthesize_staves(repo_for(1.0), _job(annotations, 8, ratio=1.0), tmp_path / "out", progress=False)
    records = read_manifest(tmp_path / "out")
    assert all(r["real"] == 0 and r["generated"] > 0 for r in records)


def test_manifest_lines_name_image_annotation_seed_and_style(repo_for, annotations, tmp_path):
    synthesize_staves(repo_for(0.5), _job(annotations, 3), tmp_path / "out", progress=False)
    r = read_manifest(tmp_path / "out")[2]
    assert r["file"] == "images/000002.png" and (tmp_path / "out" / r["file"]).is_file()
    assert r["annotation"] == SHORT[2] and r["line"] == 3 and r["writer_style"] in (1, 2, 3)
    assert json.loads((tmp_path / "out" / "config.json").read_text())["ratio"] == 0.5


def test_shards_merged_equal_one_run(repo_for, annotations, tmp_path):
    synthesize_staves(repo_for(0.5), _job(annotations, 6), tmp_path / "whole", progress=False)
    for k in (1, 2, 3):
        synthesize_staves(repo_for(0.5), _job(annotations, 6, shard=(k, 3)), tmp_path / f"s{k}", progress=False)
    merge_shards([tmp_path / "s3", tmp_path / "s1", tmp_path / "s2"], tmp_path / "merged")
    assert _files(tmp_path / "merged") == _files(tmp_path / "whole")
    assert read_manifest(tmp_path / "merged") == read_manifest(tmp_path / "whole")


def test_merge_refuses_shards_of_different_runs(repo_for, annotations, tmp_path):
    synthesize_staves(repo_for(0.5), _job(annotations, 4, shard=(1, 2)), tmp_path / "a", progress=False)
    synthesize_staves(repo_for(0.5), _job(annotations, 4, shard=(2, 2), seed=1), tmp_path / "b", progress=False)
    with pytest.raises(StaffJobError, match="different runs"):
        merge_shards([tmp_path / "a", tmp_path / "b"], tmp_path / "m")


def test_resume_finishes_an_interrupted_run_without_redoing_staves(repo_for, annotations, tmp_path):
    job = _job(annotations, 6)
    synthesize_staves(repo_for(0.5), job, tmp_path / "whole", progress=False)
    out = tmp_path / "cut"
    synthesize_staves(repo_for(0.5), job, out, progress=False)
    lines = (out / "manifest.jsonl").read_bytes().splitlines(keepends=True)
    (out / "manifest.jsonl").write_bytes(b"".join(lines[:3]) + lines[3][:20])  # killed mid-append
    (out / "images" / "000005.png").unlink()
    kept = (out / "images" / "000001.png").stat().st_mtime_ns
    stats = synthesize_staves(repo_for(0.5), job, out, resume=True, progress=False)
    assert stats == {"written": 3, "skipped": 0, "already_done": 3, "clipped": 0}
    assert (out / "images" / "000001.png").stat().st_mtime_ns == kept
    assert _files(out) == _files(tmp_path / "whole") and read_manifest(out) == read_manifest(tmp_path / "whole")


def test_unparsable_annotation_is_skipped_named_and_counted(repo_for, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(f"{SHORT[0]}\nclef.G-2 q4 =e5 zz9 |\n{SHORT[1]}\n")
    with pytest.warns(UserWarning, match="line 2"):
        stats = synthesize_staves(repo_for(0.5), _job(path, 3), tmp_path / "out", progress=False)
    records = read_manifest(tmp_path / "out")
    assert stats["written"] == 2 and stats["skipped"] == 1
    assert records[1]["skipped"] and records[1]["line"] == 2 and "file" not in records[1]


def test_existing_output_needs_resume_or_overwrite_and_is_left_untouched(repo_for, annotations, tmp_path):
    out = tmp_path / "out"
    synthesize_staves(repo_for(0.5), _job(annotations, 2), out, progress=False)
    before = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(StaffJobError, match="--resume"):  # another job: writing anything would change the bytes
        synthesize_staves(repo_for(0.5), _job(annotations, 3, seed=1), out, progress=False)
    assert {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before


def test_resume_with_other_settings_is_refused(repo_for, annotations, tmp_path):
    synthesize_staves(repo_for(0.5), _job(annotations, 2), tmp_path / "out", progress=False)
    with pytest.raises(StaffJobError, match="other settings"):
        synthesize_staves(repo_for(0.5), _job(annotations, 2, ratio=0.7), tmp_path / "out", resume=True,
                          progress=False)


def test_two_workers_write_the_same_staves_as_one(repo_for, annotations, tmp_path):
    synthesize_staves(repo_for(0.5), _job(annotations, 4), tmp_path / "one", progress=False)
    synthesize_staves(repo_for(0.5), _job(annotations, 4), tmp_path / "two", progress=False, workers=2)
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
    assert sorted(r["index"] for r in read_manifest(tmp_path / "two")) == [0, 1, 2, 3]


@pytest.mark.parametrize("args, message", [
    (["--ratio", "1.5"], "1.5 is not in the range"),
    (["--checkpoint", "{tmp}/missing.pt"], "missing.pt"),
    (["--shard", "3/2"], "--shard must be K/N"),
    (["--seed", "-1"], "-1 is not in the range"),
    (["--seed", str(2**64)], "is not in the range"),
    (["--real-classes", "g-clef,treble"], "unknown glyph class(es) treble"),
    (["--bank-size", "0"], "0 is not in the range"),
    pytest.param(["--device", "cuda", "--checkpoint", "{ckpt}"], "no CUDA GPU",
                 marks=pytest.mark.skipif("torch.cuda.is_available()")),
])
def test_cli_bad_input_is_one_line(args, message, tmp_path, muscima_root, smoke_checkpoint):
    args = [a.replace("{tmp}", str(tmp_path)).replace("{ckpt}", str(smoke_checkpoint)) for a in args]
    r = CliRunner().invoke(main, ["synthesize-staves", "--out", str(tmp_path / "o"), "--count", "2",
                                  "--muscima-pp", str(muscima_root), *args])
    assert r.exit_code in (1, 2) and isinstance(r.exception, SystemExit) and message in r.output, r.output


def test_a_job_saved_before_bank_size_and_real_classes_existed_reads_as_the_bank_it_ran_with(annotations):
    job = _job(annotations, 4, bank_size=64, real_classes=("g-clef", "c-clef", "g-clef"))
    assert job.real_classes == ("c-clef", "g-clef")
    assert StaffJob.from_dict(json.loads(json.dumps(job.to_dict()))) == job
    fresh = _job(annotations, 4)
    assert fresh.bank_size is None and StaffJob.from_dict(json.loads(json.dumps(fresh.to_dict()))) == fresh
    old = {k: v for k, v in fresh.to_dict().items()
           if k not in ("bank_size", "real_classes", "precision", "novel_scale", "style_from", "style_from_sha256")}
    assert StaffJob.from_dict(old) == _job(annotations, 4, bank_size=32)  # an earlier config.json still resumes


def test_a_job_where_no_staff_renders_is_an_error(repo_for, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("clef.G-2 q4 =e5 zz9 |\nnot an annotation\n")
    with pytest.warns(UserWarning), pytest.raises(StaffJobError, match="rendered none of the 2 staves"):
        synthesize_staves(repo_for(0.5), _job(path, 2), tmp_path / "out", progress=False)


def test_reading_the_manifest_never_writes_it(tmp_path):
    torn = b'{"index": 0, "file": "images/000000.png"}\n{"index": 1, "fi'  # a worker is appending line 2
    (tmp_path / "manifest.jsonl").write_bytes(torn)
    assert [r["index"] for r in read_manifest(tmp_path)] == [0]
    assert (tmp_path / "manifest.jsonl").read_bytes() == torn


@pytest.mark.parametrize("damage, message", [
    (lambda out: (out / "config.json").write_text('{"count": 2, "rat'), "config.json is damaged"),
    (lambda out: (out / "manifest.jsonl").write_bytes(b"\x00\xff garbage\n" + (out / "manifest.jsonl").read_bytes()),
     "manifest.jsonl line 1 is not a manifest record"),
])
def test_resume_of_a_damaged_folder_is_a_one_line_error(repo_for, annotations, tmp_path, damage, message):
    synthesize_staves(repo_for(0.5), _job(annotations, 2), tmp_path / "out", progress=False)
    damage(tmp_path / "out")
    with pytest.raises(StaffJobError, match=message):
        synthesize_staves(repo_for(0.5), _job(annotations, 2), tmp_path / "out", resume=True, progress=False)


def test_merge_into_one_of_its_inputs_is_refused_and_keeps_it(repo_for, annotations, tmp_path):
    for k in (1, 2):
        synthesize_staves(repo_for(0.5), _job(annotations, 4, shard=(k, 2)), tmp_path / f"s{k}", progress=False)
    before = _files(tmp_path / "s1")
    r = CliRunner().invoke(main, ["synthesize-staves", "merge", str(tmp_path / "s1"), str(tmp_path / "s2"),
                                  "--out", str(tmp_path / "s1"), "--overwrite"])
    _one_line_error(r, "is one of the shard folders")
    assert _files(tmp_path / "s1") == before and len(read_manifest(tmp_path / "s1")) == 2


def _one_line_error(result, message: str) -> None:
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.output


@pytest.mark.parametrize("args, message", [
    (["--checkpoint", "{tmp}/mistyped.pt"], "mistyped.pt does not exist"),
    (["--checkpoint", "{annotations}"], "not a readable ganmash checkpoint"),
    (["--muscima-pp", "{tmp}/nowhere"], "not a MUSCIMA++ v1.0 folder"),
    (["--annotations", "{binary}"], "is not text"),
    (["--style-from", "{tmp}"], "holds no images"),
    (["--style", "novel", "--bank-size", "4"], "need fresh glyphs"),
    (["--style-from", "{tmp}", "--bank-size", "4"], "need fresh glyphs"),
])
def test_bad_input_leaves_no_output_behind(args, message, tmp_path, muscima_root, smoke_checkpoint, annotations):
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)))
    args = [a.format(tmp=tmp_path, annotations=annotations, binary=tmp_path / "binary.bin") for a in args]
    r = CliRunner().invoke(main, ["synthesize-staves", "--out", str(tmp_path / "o"), "--count", "2",
                                  "--checkpoint", str(smoke_checkpoint), "--muscima-pp", str(muscima_root), *args])
    _one_line_error(r, message)
    assert not (tmp_path / "o").exists()  # so the corrected command is not refused


def test_ctrl_c_exits_130_and_resume_finishes(smoke_checkpoint, mini_muscima, annotations, tmp_path, monkeypatch):
    """Ctrl-C lands right after the third staff's manifest line (a KeyboardInterrupt where Python raises one for
    SIGINT: deterministic, unlike a signal racing a run that may finish first)."""
    import symbol_sources.staves as staves

    out = tmp_path / "o"
    args = ["synthesize-staves", "--out", str(out), "--count", "40", "--annotations", str(annotations),
            "--checkpoint", str(smoke_checkpoint), "--muscima-pp", str(mini_muscima), "--mode", "beauty"]
    appended, append = [], staves.append_jsonl

    def append_then_ctrl_c(path, record):
        append(path, record)
        appended.append(record["index"])
        if len(appended) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(staves, "append_jsonl", append_then_ctrl_c)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 130 and "continue with --resume" in r.output, r.output
    assert len(read_manifest(out)) == 3
    monkeypatch.setattr(staves, "append_jsonl", append)
    r = CliRunner().invoke(main, [*args, "--resume"])
    assert r.exit_code == 0 and sorted(x["index"] for x in read_manifest(out)) == list(range(40)), r.output
    assert all("file" in x for x in read_manifest(out))  # every staff rendered, none skipped


def test_sheet_stacks_the_first_staves_of_a_run_into_one_png(repo_for, annotations, tmp_path):
    import cv2

    synthesize_staves(repo_for(0.5), _job(annotations, 3), tmp_path / "out", progress=False)
    result = CliRunner().invoke(main, ["synthesize-staves", "sheet", str(tmp_path / "out"), "--out",
                                       str(tmp_path / "sheet.png"), "--count", "2"])
    assert result.exit_code == 0, result.output
    sheet = cv2.imread(str(tmp_path / "sheet.png"), cv2.IMREAD_GRAYSCALE)
    staves = [cv2.imread(str(tmp_path / "out" / "images" / f"00000{i}.png"), cv2.IMREAD_GRAYSCALE) for i in (0, 1)]
    assert sheet.shape[1] == 1200  # two captions, two staves scaled to 1200 px, two gaps
    assert sheet.shape[0] == sum(22 + round(s.shape[0] * 1200 / s.shape[1]) + 10 for s in staves)
    again = CliRunner().invoke(main, ["synthesize-staves", "sheet", str(tmp_path / "out"), "--out",
                                      str(tmp_path / "sheet.png")])
    assert again.exit_code == 1 and "--overwrite" in again.output  # the existing sheet is kept


def test_overwrite_removes_the_earlier_jobs_images_and_keeps_other_files(repo_for, annotations, tmp_path):
    out = tmp_path / "o"
    synthesize_staves(repo_for(0.0), _job(annotations, 4, 0.0), out, progress=False)
    (out / "images" / "notes.txt").write_text("mine")
    synthesize_staves(repo_for(0.0), _job(annotations, 2, 0.0), out, overwrite=True, progress=False)
    assert sorted(p.name for p in (out / "images").iterdir()) == ["000000.png", "000001.png", "notes.txt"]
    assert len(read_manifest(out)) == 2


DEV_GOLD = Path(__file__).resolve().parents[2] / "shared" / "cvc-muscima-gold" / "dev.tsv"


@pytest.mark.skipif(not DEV_GOLD.is_file(), reason="../shared/cvc-muscima-gold/dev.tsv is not here")
def test_symbols_cut_at_the_edge_are_counted_in_the_manifest_not_printed(repo_for, tmp_path, capsys):
    from symbol_sources.real_staves import read_gold

    # real staff-length lines (the dev gold's), distorted as for training: some symbols land past the edge
    lines = [g.annotation for g in read_gold(DEV_GOLD) if g.annotation][:6]
    (tmp_path / "lines.txt").write_text("\n".join(lines) + "\n")
    job = StaffJob(count=6, ratio=0.0, mode="training", annotations=str(tmp_path / "lines.txt"))
    with pytest.warns(UserWarning):  # a few of the gold's lines hold tokens Mashcima cannot render: skipped
        stats = synthesize_staves(repo_for(0.0), job, tmp_path / "out", progress=False)
    records = read_manifest(tmp_path / "out")
    assert "does not fit" not in capsys.readouterr().out
    assert stats["clipped"] == sum("clipped" in r for r in records) >= 1
