"""MusicXML for page synthesis: Smashcima renders whole pages from MusicXML, but only what the file states (stem
directions, system breaks), and it draws no grace notes. This module prepares corpus tunes' parts for it and
writes the export folder, and gives a user's file the stem directions it lacks; reading the corpus is
``symbol_sources.annotations``'s."""
from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

from symbol_sources.annotations import AnnotationsError, Tune, TuneSkipped, note_parts, read_tune, staff_position

# Note types drawn without a stem: a MusicXML note of these needs no <stem> element.
STEMLESS_TYPES = frozenset({"whole", "breve", "long", "maxima"})


def set_stem_directions(part) -> None:
    """Give every note drawn with a stem but without a direction an explicit one (down from the middle line up,
    else up), as engravers do: ABC tunes carry none, and Smashcima renders only what the MusicXML states (a
    whole note given a direction, too, is drawn with a stem)."""
    from music21 import clef as m21clef

    for note in part.recurse().notes:
        if note.stemDirection not in (None, "unspecified") or not hasattr(note, "pitch") \
                or note.duration.type in STEMLESS_TYPES:
            continue
        clef = note.getContextByClass(m21clef.Clef) or m21clef.TrebleClef()
        note.stemDirection = "down" if staff_position(note.pitch, clef) >= 0 else "up"  # 0 = the middle line


def notes_without_stems(musicxml: str) -> int:
    """How many pitched notes of the MusicXML text state no stem direction though they are drawn with a stem
    (0 for text that is not XML: the loader reports that). Smashcima draws a stem only where the file says."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(musicxml)
    except ET.ParseError:
        return 0
    return sum(1 for note in root.iter("note") if note.find("pitch") is not None and note.find("stem") is None
               and (note.findtext("type") or "").strip() not in STEMLESS_TYPES)


def with_stem_directions(musicxml: str) -> str:
    """The MusicXML text with a stem direction on every note that lacks one (``set_stem_directions``), as
    music21 writes it back. Raises music21's error when it cannot read the text."""
    from music21 import converter
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # music21 warns about every liberty a file takes; Smashcima reads the result
        score = converter.parseData(musicxml, format="musicxml")
        for part in note_parts(score):
            set_stem_directions(part)
        return GeneralObjectExporter(score).parse().decode("utf-8")


def remove_grace_notes(part) -> None:
    """Drop grace notes: Smashcima does not draw them, and a system that starts on one fails to render."""
    for note in list(part.recurse().notes):
        if note.duration.isGrace:
            note.activeSite.remove(note)


def prepare_part(part) -> None:
    """What Smashcima needs of a part that notation software leaves open: no grace notes, a stem direction on
    every note, and system breaks."""
    remove_grace_notes(part)
    set_stem_directions(part)
    add_system_breaks(part)


def add_system_breaks(part, notes_per_system: int = 24) -> None:
    """Start a new system before the measure that would take a system past ``notes_per_system`` notes and rests
    (about a handwritten CVC-MUSCIMA staff's worth): corpus tunes carry no layout, and Smashcima breaks lines
    only where the MusicXML says to, so without this a tune runs off the page on one staff."""
    from music21 import layout, stream

    on_system = 0
    for i, measure in enumerate(part.getElementsByClass(stream.Measure)):
        events = len(measure.recurse().notesAndRests)
        if i > 0 and on_system + events > notes_per_system:
            measure.insert(0, layout.SystemLayout(isNew=True))
            on_system = 0
        on_system += events


def export_musicxml(tunes: list[Tune], folder: Path, overwrite: bool = False, progress: bool = False) -> dict:
    """Write each note part of each tune as a MusicXML file into ``folder``, for page synthesis (Smashcima reads
    MusicXML). An existing ``folder`` is replaced only with ``overwrite``, and only once the export succeeded:
    everything is written into a temporary sibling first and swapped into place at the end (``replace_folder``),
    so a failed or interrupted export leaves nothing and loses nothing. Returns the export's record, also written
    to ``folder/sources.json``: per file its tune, and the tunes skipped by reason."""
    from gan import replacing_folder

    if (folder.exists() or folder.is_symlink()) and not overwrite:  # before any tune is parsed
        raise FileExistsError(f"{folder} exists; pass --overwrite to replace it")
    with replacing_folder(folder) as tmp:  # refuses a link or a file at once, too
        return _write_parts(tunes, tmp, progress)


def _write_parts(tunes: list[Tune], folder: Path, progress: bool) -> dict:
    """The export into the empty ``folder``; its record, written as ``sources.json`` last."""
    import json

    from tqdm import tqdm

    files: dict[str, str] = {}
    skipped: Counter = Counter()
    for tune in tqdm(tunes, unit="tune", desc="tunes", disable=not progress):
        try:
            parts = note_parts(read_tune(tune))
        except TuneSkipped as e:
            skipped[str(e)] += 1
            warnings.warn(f"skipped {tune.name}: {e}")
            continue
        stem = tune.name.replace("/", "-").replace("#X:", "-X").replace(".abc", "").replace(".mxl", "")
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
        for k, part in enumerate(parts):
            prepare_part(part)
            name = f"{stem}-p{k}.musicxml" if len(parts) > 1 else f"{stem}.musicxml"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                part.write("musicxml", fp=str(folder / name))
            files[name] = tune.name + (f" part {k}" if len(parts) > 1 else "")
    if not files:
        raise AnnotationsError(f"no tune could be exported ({sum(skipped.values())} skipped); nothing written")
    record = {"files": files, "tunes": len(tunes), "skipped": sum(skipped.values()),
              "skipped_by_reason": dict(skipped)}
    (folder / "sources.json").write_text(json.dumps(record, indent=1) + "\n")
    return record
