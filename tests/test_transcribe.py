"""MUSCIMA++ pages to Mashcima annotations (``symbol_sources.transcribe``, ``ganmash data transcribe``), on real
pages: known answers from the human gold, Mashcima's parser, skipped staves, the CLI's refusals."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ganwriting_mashcima.cli import main

REPO = Path(__file__).resolve().parent.parent
DEV_GOLD = REPO.parent / "shared" / "cvc-muscima-gold" / "dev.tsv"
# pages of the human gold (13, 17) and one validation page (writer 4, page 20: chords, voices)
PAGES = ("W-13_N-02", "W-13_N-03", "W-13_N-16", "W-17_N-01", "W-04_N-20")


def _page_folder(root: Path, muscima_root: Path, pages) -> Path:
    """A MUSCIMA++ layout holding only ``pages``: read in a second, where the whole set takes a minute."""
    src = muscima_root / "data" / "cropobjects_withstaff"
    dst = root / "v1.0" / "data" / "cropobjects_withstaff"
    dst.mkdir(parents=True)
    for page in pages:
        name = f"CVC-MUSCIMA_{page}_D-ideal.xml"
        (dst / name).write_bytes((src / name).read_bytes())
    return root / "v1.0"


@pytest.fixture(scope="module")
def pages(tmp_path_factory, muscima_root):
    from symbol_sources import load_muscima_pp

    root = _page_folder(tmp_path_factory.mktemp("transcribe"), muscima_root, PAGES)
    return load_muscima_pp(root, use_cache=False, workers=1)


@pytest.fixture(scope="module")
def gold():
    from symbol_sources.real_staves import read_gold

    if not DEV_GOLD.is_file():
        pytest.skip(f"no human gold at {DEV_GOLD}")
    return {(g.writer, g.page, g.staff): g.annotation for g in read_gold(DEV_GOLD)}


def _transcribed(pages, writer: int, page: int, staff: int):
    from symbol_sources.transcribe import transcribe_page

    return transcribe_page(pages, writer, page)[staff]


@pytest.mark.parametrize("writer, page, staff", [
    (13, 2, 5),  # grace notes as one ?, longa and breve rests, flags, duration dots
    (13, 3, 3),  # the system's opening barline, a C clef on the bottom line, time signature, ties and slurs
    (13, 16, 1),  # a key signature drawn a step high, naturals, accents, double dots
    (17, 1, 0),  # time signature changes, staccato, a flat, 16ths beamed with 8ths, a tuplet bracket as slur
])
def test_known_staves_match_the_human_gold(pages, gold, writer, page, staff):
    assert _transcribed(pages, writer, page, staff).annotation == gold[writer, page, staff]


def test_a_whole_gold_page_is_within_five_percent(pages, gold):
    from experiments.staff_scoring import symbol_error_rate
    from symbol_sources.transcribe import transcribe_page

    staves = transcribe_page(pages, 13, 16)
    sers = [symbol_error_rate(s.annotation.split(), gold[13, 16, s.staff].split()) for s in staves]
    assert len(sers) == 8 and sum(sers) / len(sers) <= 0.05, sers


def test_every_line_parses_with_mashcimas_own_parser(pages):
    """Checked with Mashcima's parser directly, not through the transcriber's own check."""
    from mashcima.vocabulary import VOCABULARY, parse_annotation_into_token_groups

    from symbol_sources.transcribe import transcribe_page

    lines = [s.annotation for w, p in ((13, 2), (17, 1), (4, 20)) for s in transcribe_page(pages, w, p)
             if s.transcribed]
    assert len(lines) >= 10
    for line in lines:
        _, warnings = parse_annotation_into_token_groups(line)
        assert warnings == [], line
        assert set(line.split()) <= set(VOCABULARY), line


def test_a_staff_that_cannot_be_encoded_is_skipped_and_counted_not_guessed(pages):
    """Writer 4 page 20 staff 1 has a note of another voice inside a beam: no Mashcima line says that."""
    from symbol_sources.transcribe import gold_tsv, skip_counts, transcribe_page

    staves = transcribe_page(pages, 4, 20)
    skipped = staves[1]
    assert skipped.annotation is None
    assert skipped.skip_reason == "Mashcima's parser warns: Unexpected token inside a beamed group"
    assert skip_counts(staves)[skipped.skip_reason] == sum(not s.transcribed for s in staves) >= 1
    rows = [line.split("\t")[:3] for line in gold_tsv(staves).splitlines()[1:]]
    assert ["4", "20", "1"] not in rows and len(rows) == sum(s.transcribed for s in staves)


def test_chords_are_unknown_symbols(pages):
    """Noteheads on one stem are a chord, which Mashcima cannot encode: one ?, not one of its notes."""
    staff = _transcribed(pages, 4, 20, 0)
    assert staff.transcribed and "? ? ?" in staff.annotation


@pytest.fixture
def one_page(tmp_path, muscima_root) -> Path:
    return _page_folder(tmp_path / "one-page", muscima_root, ["W-13_N-02"])


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert all(f in lines[0] for f in fragments), lines[0]


def test_cli_writes_a_gold_file_and_reports_the_counts(one_page, tmp_path):
    from symbol_sources.real_staves import read_gold

    out = tmp_path / "gold.tsv"
    result = CliRunner().invoke(main, ["data", "transcribe", "--writers", "13", "--muscima-pp", str(one_page),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "transcribed 7 of 7 staves of writers 13" in result.output and "skipped 0" in result.output
    assert [(g.writer, g.page, g.staff) for g in read_gold(out)] == [(13, 2, k) for k in range(7)]


def test_cli_refuses_to_overwrite_without_overwrite(one_page, tmp_path):
    out = tmp_path / "gold.tsv"
    out.write_text("keep me\n")
    result = CliRunner().invoke(main, ["data", "transcribe", "--writers", "13", "--muscima-pp", str(one_page),
                                       "--out", str(out)])
    _one_line_error(result, str(out), "exists; pass --overwrite")
    assert out.read_text() == "keep me\n"


def test_cli_names_a_writer_without_pages_in_one_line(one_page, tmp_path):
    result = CliRunner().invoke(main, ["data", "transcribe", "--writers", "13,99", "--muscima-pp", str(one_page),
                                       "--out", str(tmp_path / "gold.tsv")])
    _one_line_error(result, "no page of writer 99")
    assert not (tmp_path / "gold.tsv").exists()
