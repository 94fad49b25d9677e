"""Real-music annotations: known tunes (inline ABC, parsed by music21) give known Mashcima lines; Mashcima's
checks reject what it cannot draw; bad tunes are skipped; the CLI writes, reports and refuses to overwrite."""
from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

pytest.importorskip("music21")

from ganwriting_mashcima.cli import main  # noqa: E402
from symbol_sources.annotations import (Tune, convert_tunes, corpus_paths,  # noqa: E402
                                        key_signature_tokens, mashcima_rejection, tune_lines)

ONE_LINE = (1, 10_000)  # shortest and longest line: every tune below is one line


def lines_of(abc_body: str, head: str = "M:4/4\nL:1/4\n", targets=None) -> list[str]:
    tune = Tune("test", "inline", "", f"X:1\n{head}{abc_body}\n")
    lines = tune_lines(tune, iter(targets or [10_000] * 100), *ONE_LINE)
    assert all(problem is None for _, problem in lines)
    return [line for line, _ in lines]


def test_a_short_tune_gives_the_expected_line_that_mashcima_takes():
    line, = lines_of("K:D\nA2 | d>e f2 (fg) | a2- a^G =F2 | z2 B,C D3/2E/ | c4 z2 |]", "M:3/4\nL:1/8\n")
    assert line == ("clef.G-2 #4 #1 time.3 time.4 q-1 | e=2 * =s3 q4 e=4 ( ) =e5 | q6 ( ) e=6 #-2 =e-2 N-3 q-3 "
                    "| qr e=-7 =e-6 e=-5 * =s-4 | h1 qr |")
    assert mashcima_rejection(line) is None


@pytest.mark.parametrize("key, expected", [
    ("K:C", "clef.G-2 time.4 time.4 q-4 q-2 q0 q2 |"),  # E4 on the bottom line, B4 on the middle one
    ("K:C clef=F", "clef.F2 time.4 time.4 q-4 q-2 q0 q2 |"),  # G2 on the bottom line, D3 on the middle one
])
def test_clefs_put_notes_at_their_staff_positions(key, expected):
    notes = "E G B d |" if "F" not in key else "G,, B,, D, F, |"
    assert lines_of(f"{key}\n{notes}") == [expected]


@pytest.mark.parametrize("key, expected", [
    ("K:E", "clef.G-2 #4 #1 #5 #2"), ("K:Bb", "clef.G-2 b0 b3"),
    ("K:C#", "clef.G-2 #4 #1 #5 #2 #-1 #3 #0"), ("K:Eb clef=bass", "clef.F2 b-2 b1 b-3"),
])
def test_key_signatures_follow_the_clef(key, expected):
    line, = lines_of(f"{key}\nz4 |")
    assert line == f"{expected} time.4 time.4 wr |"


def test_alto_clef_key_signature_sits_a_step_below_the_treble_one():
    from music21 import clef

    assert key_signature_tokens(1, clef.AltoClef()) == ("#3",)  # as the gold staves write it: clef.C0 #3


def test_the_key_opens_every_line_and_the_time_signature_only_the_first():
    lines = lines_of("K:G\nB2 B2 | B2 B2 | d2 d2 | d2 d2 |", targets=[10, 10, 10])
    assert lines == ["clef.G-2 #4 time.4 time.4 h0 h0 | h0 h0 |", "clef.G-2 #4 h2 h2 | h2 h2 |"]


def test_duration_dots_and_staccato():
    assert lines_of("K:C\nA3/2 B/2 c2 | d3 .e |") == ["clef.G-2 time.4 time.4 q-1 * e0 h1 | h2 * q3 . |"]


def test_beams_follow_the_notation():
    # music21 beams ABC eighths by the beat (ABcd is two beamed pairs); the tokens follow music21's beams,
    # the letter is each note's own value (B an eighth, A/B/ sixteenths, in one beam)
    assert lines_of("K:C\nABcd efga | A B A/B/ c2 |", "M:4/4\nL:1/8\n") == [
        "clef.G-2 time.4 time.4 e=-1 =e0 e=1 =e2 e=3 =e4 e=5 =e6 | e-1 e=0 =s=-1 =s0 q1 |"]


def test_ties_and_slurs_are_brackets():
    assert lines_of("K:C\n(AB) c2- | c4 |") == ["clef.G-2 time.4 time.4 q-1 ( ) q0 h1 ( | ) w1 |"]


def test_rests_and_a_whole_bar_rest_in_three_four():
    assert lines_of("K:C\nz3 | z/ A/ z2 |", "M:3/4\nL:1/4\n") == ["clef.G-2 time.3 time.4 wr | er e-1 hr |"]


def test_displayed_accidentals_only():
    # the second F keeps the sharp without showing it; the next measure starts afresh
    assert lines_of("K:C\n^F F =F _B | F4 |") == ["clef.G-2 time.4 time.4 #-3 q-3 q-3 N-3 q-3 b0 q0 | w-3 |"]


def _convert(*abc_tunes: str):
    tunes = [Tune("test", f"inline#{i}", "", f"X:{i}\nM:4/4\nL:1/4\n{t}\n") for i, t in enumerate(abc_tunes)]
    return convert_tunes(tunes, [10_000], random.Random(0))


def test_rejected_lines_are_counted_not_written():
    result = _convert("K:C\nA4 |", "K:C\nA8 |", "K:C\nc''''4 |", "K:C\nA2 A2 |", "K:C\nM:12/8\nA4 A4 A4 |")
    assert sorted(result.lines) == ["clef.G-2 time.4 time.4 h-1 h-1 |", "clef.G-2 time.4 time.4 w-1 |"]
    assert dict(result.lines_rejected) == {
        "not encodable: note of duration breve": 1,  # Mashcima draws no breve notes
        "token outside Mashcima's vocabulary (w<pos>)": 1,  # c'''' is 36 steps up; Mashcima goes to 12
        "token outside Mashcima's vocabulary (time.12)": 1,  # one digit per time-signature number
    }
    assert result.rejected_examples["not encodable: note of duration breve"] == "clef.G-2 time.4 time.4 |"


def test_mashcima_rejects_a_broken_beam():
    assert mashcima_rejection("clef.G-2 e=1 q2 |") == "Mashcima's parser warns: Unexpected token inside a beamed group"


def test_bad_tunes_are_skipped_with_a_warning_and_counted():
    with pytest.warns(UserWarning) as caught:
        result = _convert("K:C\n[CEG]4 |", "L:x\nK:C\nA |", "K:C\nA4 |")
    assert result.lines == ["clef.G-2 time.4 time.4 w-1 |"]
    assert dict(result.tunes_skipped) == {
        "it is not monophonic (it has chords)": 1,
        "music21 cannot read it (ABCTokenException: no quarter length associated with this metadata: x)": 1}
    assert [str(w.message).split(":")[0] for w in caught] == ["skipped inline#0", "skipped inline#1"]


def test_a_bach_chorale_gives_one_line_set_per_voice_with_its_clef():
    path, = [p for p in corpus_paths("bachChorales") if p.name == "bwv66.6.mxl"]
    lines = tune_lines(Tune("bachChorales", "bwv66.6", str(path)), iter([12] * 100), *ONE_LINE)
    openings = [line.split(" |")[0] for line, _ in lines if "time.C" in line]
    assert openings == ["clef.G-2 #4 #1 #5 time.C e=1 =e0",  # soprano C#5 B4
                        "clef.G-2 #4 #1 #5 time.C q-4",  # alto E4
                        "clef.F2 #2 #-1 #3 time.C e=4 =e5",  # tenor A3 B3, bass clef
                        "clef.F2 #2 #-1 #3 time.C e=4 =e3"]  # bass A3 G#3


def _gold(tmp_path):
    gold = tmp_path / "gold.tsv"
    gold.write_text("writer\tpage\tstaff\tannotation\n13\t2\t0\tclef.G-2 q1 q3 q5 qr |\n"
                    "13\t2\t1\tclef.G-2 e=5 =e3 q3 e=5 =e2 q2 | q1 qr qr q-2 |\n")
    return gold


def test_cli_writes_lines_and_report_then_refuses_to_overwrite(tmp_path):
    out = tmp_path / "train.txt"
    args = ["annotations", "from-corpus", "--out", str(out), "--collections", "miscFolk", "--limit", "3",
            "--gold", str(_gold(tmp_path))]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    report = json.loads((tmp_path / "train.txt.json").read_text())
    lines = out.read_text().splitlines()
    assert report["lines"]["written"] == len(lines) > 0
    assert sum(report["tunes"]["read"].values()) + report["tunes"]["skipped"] == 3
    assert report["tokens_per_line"]["gold"]["median"] == 9.5  # 6 and 13 tokens
    assert all(mashcima_rejection(line) is None for line in lines)

    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and isinstance(again.exception, SystemExit)
    assert "exists; pass --overwrite" in again.output

    same = CliRunner().invoke(main, args + ["--overwrite"])
    assert same.exit_code == 0, same.output
    assert json.loads((tmp_path / "train.txt.json").read_text())["sha256"] == report["sha256"]  # deterministic


def test_cli_names_an_unknown_collection(tmp_path):
    result = CliRunner().invoke(main, ["annotations", "from-corpus", "--out", str(tmp_path / "x.txt"),
                                       "--collections", "essen", "--gold", str(_gold(tmp_path))])
    assert result.exit_code == 2 and "essen is not one of" in result.output


def test_to_musicxml_writes_one_file_per_part_with_stems_and_system_breaks_and_no_grace_notes(tmp_path):
    from music21 import converter, layout

    out = tmp_path / "scores"
    args = ["annotations", "to-musicxml", "--out", str(out), "--collections", "ryansMammoth,bachChorales",
            "--limit", "4", "--seed", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    sources = json.loads((out / "sources.json").read_text())
    assert sorted(sources["files"]) == sorted(p.name for p in out.glob("*.musicxml"))
    assert any(name.endswith("-p3.musicxml") for name in sources["files"])  # a chorale's four voices, a file each
    systems = []
    for name in sources["files"]:
        part = converter.parse(out / name, forceSource=True).parts[0]
        notes = list(part.recurse().notes)
        assert notes and all(n.stemDirection in ("up", "down") for n in notes  # Smashcima infers no stems
                             if n.duration.type not in ("whole", "breve"))
        assert all(n.stemDirection in (None, "unspecified") for n in notes if n.duration.type == "whole")
        assert not any(n.duration.isGrace for n in notes)
        systems.append((len(notes), len(part.recurse().getElementsByClass(layout.SystemLayout))))
    # long tunes are broken into systems (else Smashcima draws a tune on one staff, off the page)
    assert all(breaks >= n // 40 for n, breaks in systems) and any(breaks for _, breaks in systems)


def test_to_musicxml_refuses_an_existing_folder_and_replaces_it_only_when_told(tmp_path):
    out = tmp_path / "scores"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    args = ["annotations", "to-musicxml", "--out", str(out), "--collections", "miscFolk", "--limit", "1"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "exists; pass --overwrite" in refused.output
    assert (out / "mine.txt").read_text() == "keep"
    replaced = CliRunner().invoke(main, args + ["--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert not (out / "mine.txt").exists() and list(out.glob("*.musicxml"))
    assert not list(tmp_path.glob(".scores.*"))  # no temporary folder left behind


REAL_LINES = ["clef.G-2 #4 #1 time.3 time.4 q-1 | e=2 * =s3 q4 e=4 ( ) =e5 | q6 ( ) e=6 #-2 =e-2 N-3 q-3 | qr "
              "e=-7 =e-6 e=-5 * =s-4 | h1 qr |", "clef.G-2 time.4 time.4 q-4 q-2 q0 q2 |"] * 40


def test_mix_replaces_a_share_of_lines_with_random_ones_of_about_their_length():
    from symbol_sources.annotations import mix_random

    mixed, replaced = mix_random(REAL_LINES, 0.5, seed=3)
    changed = [(a, b) for a, b in zip(REAL_LINES, mixed) if a != b]
    assert len(changed) == replaced and 25 <= replaced <= 55  # binomial(80, 0.5)
    for real, generated in changed:  # whole random pieces (5-37 tokens) joined, redrawn until near the length
        assert abs(len(generated.split()) - len(real.split())) <= max(4, len(real.split()) // 4)
        assert mashcima_rejection(generated) is None
    assert mix_random(REAL_LINES, 0.5, seed=3) == (mixed, replaced)  # the seed decides it all
    assert mix_random(REAL_LINES, 0.0, seed=3) == (REAL_LINES, 0)


def test_mix_cli_refuses_a_source_line_mashcima_rejects_and_writes_nothing(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text(REAL_LINES[0] + "\nclef.G-2 q4 e=5 |\n")  # an unfinished beam
    r = CliRunner().invoke(main, ["annotations", "mix", str(source), "--out", str(tmp_path / "m.txt")])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    assert "src.txt line 2: " in r.output and not (tmp_path / "m.txt").exists()


def test_to_musicxml_overwrite_onto_a_link_is_one_line_and_keeps_what_it_points_to(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "tune.musicxml").write_text("theirs")
    (tmp_path / "scores").symlink_to(shared)
    args = ["annotations", "to-musicxml", "--out", str(tmp_path / "scores"), "--collections", "miscFolk",
            "--limit", "1", "--overwrite"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), (res.output, res.exception)
    assert res.output.strip().splitlines() == [f"Error: {tmp_path / 'scores'} is a link to {shared}; refusing to "
                                               "replace a link (remove it, or choose another destination)"]
    assert (tmp_path / "scores").is_symlink() and (shared / "tune.musicxml").read_text() == "theirs"


def test_an_export_that_fails_keeps_the_old_folder(tmp_path):
    from symbol_sources.annotations import AnnotationsError, Tune
    from symbol_sources.musicxml_export import export_musicxml

    out = tmp_path / "scores"
    out.mkdir()
    (out / "old.musicxml").write_text("old")
    no_notes = Tune("miscFolk", "miscFolk/x.abc#X:1", "x.abc", abc="X:1\nT:empty\nK:C\n")
    with pytest.raises(AnnotationsError, match="no tune could be exported"):  # after the temporary folder was made
        export_musicxml([no_notes], out, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["scores"] and (out / "old.musicxml").read_text() == "old"


@pytest.mark.parametrize("command", ["from-corpus", "mix"])
def test_an_out_that_cannot_be_written_is_refused_before_any_work(tmp_path, command):
    (tmp_path / "notes").write_text("mine")  # a file where --out needs a folder
    out = tmp_path / "notes" / "train.txt"
    source = tmp_path / "source.txt"
    source.write_text(REAL_LINES[1] + "\n")
    args = (["annotations", "from-corpus", "--collections", "miscFolk", "--limit", "1", "--gold", str(_gold(tmp_path))]
            if command == "from-corpus" else ["annotations", "mix", str(source)])
    res = CliRunner().invoke(main, args + ["--out", str(out)])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), (res.output, res.exception)
    assert res.output.strip().splitlines() == [f"Error: cannot create {out}: {tmp_path / 'notes'} is not a folder"]
    assert (tmp_path / "notes").read_text() == "mine"


STEMLESS_MUSICXML = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="4.0">
  <part-list><score-part id="P1"><part-name>Voice</part-name></score-part></part-list>
  <part id="P1"><measure number="1">
    <attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time>
      <clef><sign>G</sign><line>2</line></clef></attributes>
    <note><pitch><step>C</step><octave>5</octave></pitch><duration>1</duration><type>quarter</type></note>
    <note><pitch><step>E</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type></note>
    <note><pitch><step>G</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type><stem>down</stem></note>
    <note><rest/><duration>1</duration><type>quarter</type></note>
  </measure><measure number="2">
    <note><pitch><step>D</step><octave>5</octave></pitch><duration>4</duration><type>whole</type></note>
  </measure></part>
</score-partwise>
"""


def test_stem_directions_are_added_where_a_user_file_lacks_them_and_nowhere_else():
    from music21 import converter

    from symbol_sources.musicxml_export import notes_without_stems, with_stem_directions

    assert notes_without_stems(STEMLESS_MUSICXML) == 2  # not the stated one, the rest or the whole note
    stemmed = with_stem_directions(STEMLESS_MUSICXML)
    assert notes_without_stems(stemmed) == 0
    notes = list(converter.parseData(stemmed, format="musicxml").recurse().notes)
    # C5 above the middle line: down; E4 below: up; the stated G4 keeps its down; the whole note gets none
    assert [n.stemDirection for n in notes] == ["down", "up", "down", "unspecified"]
