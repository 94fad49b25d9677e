"""Real music as Mashcima annotations: monophonic parts of music21's bundled corpora, cut into staff lines.

Mashcima's own random annotations (``generate_random_annotation``) have token statistics unlike music and are
short; real CVC-MUSCIMA staves run the full page width. This module turns folk tunes and chorale parts into
lines of Mashcima's encoding (``mashcima.vocabulary``) whose token counts follow a gold file's staves.

The encoding, learnt from Mashcima's vocabulary, its PrIMuS adapter and the gold transcriptions:

- pitch is a staff position: 0 = the middle line, +1 per step up (``q4`` = a quarter on the top line);
  for a clef whose lowest line is the diatonic note ``L`` (music21's ``Clef.lowestLine``), a note of
  diatonic number ``d`` sits at ``d - L - 4`` (an octave clef's notes sit where they are drawn);
- a line opens with its clef (``clef.G-2``: the G clef's curl on position -2), the key signature as bare
  accidentals (``#4 #1``) and, on the tune's first line only, the time signature (``time.3 time.4``);
- notes ``w h q e s`` + position; beamed notes ``e=`` / ``=e=`` / ``=e`` (the primary beam's start /
  continue / stop; the letter is the note's own value, so ``e=5 * =s5`` is a dotted eighth and a sixteenth);
  rests ``wr hr qr er sr``; duration dots ``*`` ``**`` and staccato ``.`` after an item; displayed
  accidentals ``#p bp Np`` before it; a slur or tie is ``(`` after its first note and ``)`` before its last;
  every measure ends with ``|``.

Every line goes through Mashcima itself before it is written: its parser must report no warning, every token
must be in its vocabulary, and the canvas Mashcima builds from the line must give the line back (the check
``annotation_to_canvas`` asserts). Lines that fail are counted by reason, never written.
"""
from __future__ import annotations

import functools
import hashlib
import random
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

COLLECTIONS = ("essenFolksong", "oneills1850", "airdsAirs", "ryansMammoth", "miscFolk", "bachChorales")
# The music21 corpus folder of each collection (Bach's folder holds more than chorales: only .mxl are taken).
CORPUS_FOLDER = {"bachChorales": "bach"}

NOTE_LETTER = {"whole": "w", "half": "h", "quarter": "q", "eighth": "e", "16th": "s", "32nd": "t"}
REST_TOKEN = {"longa": "lr", "breve": "br", "whole": "wr", "half": "hr", "quarter": "qr", "eighth": "er",
              "16th": "sr", "32nd": "tr"}
DOTS = {0: "", 1: "*", 2: "**"}
ACCIDENTAL_TOKEN = {"sharp": "#", "flat": "b", "natural": "N"}
# Key-signature accidentals on the treble staff, in the order they are written (F C G D A E B sharps,
# B E A D G C F flats); other clefs shift the whole pattern (see ``key_signature_tokens``).
TREBLE_SHARP_POSITIONS = (4, 1, 5, 2, -1, 3, 0)
TREBLE_FLAT_POSITIONS = (0, 3, -1, 2, -2, 1, -3)
TREBLE_LOWEST_LINE = 31  # music21's diatonic number of E4


class AnnotationsError(ValueError):
    """A corpus conversion that cannot run as asked (one-line message)."""


class TuneSkipped(Exception):
    """A tune (or part) that is not converted: music21 cannot read it, or it is not monophonic."""


@dataclass(frozen=True)
class Tune:
    """One tune of a collection: an ABC tune's own text (the file's header + the tune), or a MusicXML file."""

    collection: str
    name: str  # e.g. "essenFolksong/altdeu10.abc#X:3", for warnings
    path: str
    abc: str | None = None  # None: parse ``path`` (MusicXML)


@dataclass(frozen=True)
class EncodedMeasure:
    """A measure's tokens, and what a staff line starting at it must open with."""

    clef: str  # the clef token in force at the measure's start
    key: tuple[str, ...]  # the key signature's accidentals in force at its start, for that clef
    time: tuple[str, ...]  # its time signature tokens, where the measure sets one
    opening: tuple[str, ...]  # clef / key / time changes written before the notes when mid-line
    body: tuple[str, ...]  # the notes and rests, ending with "|"
    problem: str | None = None  # why Mashcima's encoding cannot show the measure


# --------------------------------------------------------------------------------------------- corpus reading

def corpus_paths(collection: str) -> list[Path]:
    from music21 import corpus

    if collection not in COLLECTIONS:
        raise AnnotationsError(f"unknown collection {collection!r}; choose from {', '.join(COLLECTIONS)}")
    paths = sorted(Path(p) for p in corpus.getComposer(CORPUS_FOLDER.get(collection, collection)))
    return [p for p in paths if p.suffix == (".mxl" if collection == "bachChorales" else ".abc")]


def split_abc(text: str) -> tuple[str, list[str]]:
    """An ABC file's header (what precedes the first ``X:``, valid for all its tunes) and its tunes' texts."""
    header, tunes = [], []
    for line in text.splitlines():
        if line.startswith("X:"):
            tunes.append([line])
        elif tunes:
            tunes[-1].append(line)
        else:
            header.append(line)
    return "\n".join(header), ["\n".join(t) + "\n" for t in tunes]


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older ABC collections are Latin-1; every byte decodes


def list_tunes(collection: str) -> list[Tune]:
    """The collection's tunes in a fixed order (files sorted, tunes in file order), without parsing them."""
    tunes = []
    for path in corpus_paths(collection):
        if path.suffix != ".abc":
            tunes.append(Tune(collection, f"{collection}/{path.name}", str(path)))
            continue
        header, texts = split_abc(_read_text(path))
        for text in texts:
            number = text.split("\n", 1)[0][2:].strip()
            abc = f"{header}\n{text}" if header.strip() else text
            tunes.append(Tune(collection, f"{collection}/{path.name}#X:{number}", str(path), abc))
    return tunes


def read_tune(tune: Tune):
    """The tune as a music21 score; ``TuneSkipped`` when music21 cannot read it."""
    from music21 import converter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # music21 warns about every odd ABC header; the summary counts skips
            if tune.abc is not None:
                return converter.parse(tune.abc, format="abc")
            return converter.parse(tune.path, forceSource=True)  # no pickles written into music21's scratch dir
    except Exception as e:  # noqa: BLE001 - music21 raises many kinds on bad input; one bad tune must not stop a run
        raise TuneSkipped(f"music21 cannot read it ({type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''})")


def note_parts(score) -> list:
    """The score's parts (a single-part tune is its own part)."""
    from music21 import stream

    parts = list(score.parts) if isinstance(score, stream.Score) else [score]
    return [p for p in parts if p.recurse().notesAndRests.first() is not None]


# ------------------------------------------------------------------------------------------------- encoding

def clef_token(clef) -> str:
    """``clef.G-2`` etc.: the sign and the staff position of the line it marks (line 3 = position 0)."""
    if clef.sign not in ("G", "F", "C") or clef.line is None:
        return f"clef.{clef.sign}"  # e.g. a percussion clef: not in Mashcima's vocabulary, so its lines are rejected
    return f"clef.{clef.sign}{2 * (clef.line - 3)}"


def staff_position(pitch, clef) -> int:
    return pitch.diatonicNoteNum - clef.lowestLine - 4


def key_signature_tokens(sharps: int, clef) -> tuple[str, ...]:
    """The key signature's accidentals for ``clef``: the treble pattern moved by the clef's shift, taken between
    -3 and +3 steps so it stays on the staff (bass: 2 steps down, alto: 1 down, as the gold files write them)."""
    shift = (TREBLE_LOWEST_LINE - clef.lowestLine) % 7
    shift = shift - 7 if shift > 3 else shift
    positions = TREBLE_SHARP_POSITIONS if sharps > 0 else TREBLE_FLAT_POSITIONS
    sign = "#" if sharps > 0 else "b"
    return tuple(f"{sign}{p + shift}" for p in positions[:abs(sharps)])


def time_signature_tokens(ts) -> tuple[str, ...]:
    if ts.symbol == "common":
        return ("time.C",)
    if ts.symbol == "cut":
        return ("time.C/",)
    return (f"time.{ts.numerator}", f"time.{ts.denominator}")


def _slur_marks(note) -> tuple[bool, bool]:
    """Whether a slur or tie ends at the note, and whether one starts there (Mashcima draws one of each)."""
    from music21 import spanner

    ends = note.tie is not None and note.tie.type in ("stop", "continue")
    starts = note.tie is not None and note.tie.type in ("start", "continue")
    for sp in note.getSpannerSites():
        if isinstance(sp, spanner.Slur) and sp.getFirst() is not sp.getLast():
            ends = ends or sp.isLast(note)
            starts = starts or sp.isFirst(note)
    return ends, starts


class _PartEncoder:
    """Walks a part's measures, keeping the clef and key in force."""

    def __init__(self) -> None:
        self.clef = None
        self.sharps = 0

    def measure(self, measure) -> EncodedMeasure:
        from music21 import clef as m21clef
        from music21 import harmony, key, meter, note

        opening: list[str] = []
        time: tuple[str, ...] = ()
        body: list[str] = []
        problems: list[str] = []
        start_clef, start_sharps = self.clef, self.sharps
        elements = _measure_elements(measure)
        at_start = True
        for el in elements:
            if isinstance(el, m21clef.Clef):
                changed = self.clef is not None and clef_token(el) != clef_token(self.clef)
                self.clef = el
                if at_start:
                    start_clef = el
                    if changed:
                        opening.append(clef_token(el))
                elif changed:
                    body.append(clef_token(el))
            elif isinstance(el, key.KeySignature):
                if abs(el.sharps) > 7:
                    problems.append("key signature of more than 7 accidentals")
                    continue
                if el.sharps != self.sharps:
                    # at a line start the new key is written after the clef; mid-line where it changes
                    (opening if at_start else body).extend(self._key_change_tokens(el.sharps))
                self.sharps = el.sharps
                if at_start:
                    start_sharps = el.sharps
            elif isinstance(el, meter.TimeSignature):
                time = time_signature_tokens(el)
                if at_start:
                    opening.extend(time)
                else:
                    body.extend(time)
            elif isinstance(el, harmony.Harmony):
                continue  # chord symbols above the staff: Mashcima draws none
            elif isinstance(el, note.GeneralNote):
                if el.duration.isGrace:
                    continue  # Mashcima draws no grace notes (its PrIMuS adapter drops them too)
                at_start = False
                if self.clef is None:
                    self.clef = start_clef = m21clef.TrebleClef()
                tokens, problem = self._item(el, measure)
                body.extend(tokens)
                if problem:
                    problems.append(problem)
        body.append("|")
        if start_clef is None:
            raise TuneSkipped("it has no notes before its first measure ends")
        return EncodedMeasure(clef=clef_token(start_clef), key=key_signature_tokens(start_sharps, start_clef),
                              time=time, opening=tuple(opening), body=tuple(body),
                              problem=problems[0] if problems else None)

    def _key_change_tokens(self, sharps: int) -> tuple[str, ...]:
        # a change to C major / A minor cancels the old accidentals with naturals; other changes just write
        # the new signature
        if sharps == 0:
            return tuple("N" + t.lstrip("#b") for t in key_signature_tokens(self.sharps, self.clef))
        return key_signature_tokens(sharps, self.clef)

    def _item(self, el, measure) -> tuple[list[str], str | None]:
        from music21 import articulations, chord, note

        if isinstance(el, chord.Chord):
            raise TuneSkipped("it is not monophonic (it has chords)")
        if not isinstance(el, (note.Note, note.Rest)):
            raise TuneSkipped(f"it has {type(el).__name__} objects")
        kind = el.duration.type
        dots = DOTS.get(el.duration.dots)
        if dots is None:
            return [], f"{el.duration.dots} duration dots"
        if isinstance(el, note.Rest):
            if len(measure.recurse().notesAndRests) == 1 and el.duration.quarterLength == _bar_length(measure):
                return ["wr"], None  # a whole-bar rest is drawn as a whole rest in any metre
            if kind not in REST_TOKEN:
                return [], f"rest of duration {kind}"
            return [REST_TOKEN[kind]] + ([dots] if dots else []), None
        if kind not in NOTE_LETTER:
            return [], f"note of duration {kind}"
        position = staff_position(el.pitch, self.clef)
        before, after, problem = [], [], None
        slur_end, slur_start = _slur_marks(el)
        if slur_end:
            before.append(")")
        accidental = el.pitch.accidental
        if accidental is not None and accidental.displayStatus:
            if accidental.name not in ACCIDENTAL_TOKEN:
                problem = f"{accidental.name} accidental"  # double sharps and flats: Mashcima draws none
            else:
                before.append(f"{ACCIDENTAL_TOKEN[accidental.name]}{position}")
        beam = el.beams.getByNumber(1) if el.beams is not None and len(el.beams) else None
        letter = NOTE_LETTER[kind]
        if beam is not None and beam.type in ("start", "continue", "stop") and kind not in ("whole", "half",
                                                                                              "quarter"):
            head = {"start": f"{letter}=", "continue": f"={letter}=", "stop": f"={letter}"}[beam.type]
        else:
            head = letter
        if any(isinstance(a, articulations.Staccato) for a in el.articulations):
            after.append(".")
        if dots:
            after.append(dots)
        if slur_start:
            after.append("(")
        return before + [f"{head}{position}"] + after, problem


def _measure_elements(measure) -> list:
    """The measure's clefs, signatures, notes and rests in order; ``TuneSkipped`` for several voices."""
    from music21 import stream

    voices = [v for v in measure.voices if v.notesAndRests.first() is not None]
    if len(voices) > 1:
        raise TuneSkipped("it is not monophonic (several voices)")
    return [el for el in measure.recurse() if not isinstance(el, stream.Stream)]


def _bar_length(measure) -> float | None:
    try:
        return measure.barDuration.quarterLength
    except Exception:  # noqa: BLE001 - music21 cannot always tell a free-metre measure's length
        return None


def encode_part(part) -> list[EncodedMeasure]:
    """The part's measures in Mashcima's encoding; ``TuneSkipped`` if it is not monophonic."""
    from music21.stream import makeNotation

    if not part.hasMeasures():
        part = part.makeMeasures()
    notes = list(part.recurse().notes)
    if any(n.pitch.accidental is not None and n.pitch.accidental.displayStatus is None
           for n in notes if hasattr(n, "pitch")):
        # the source left some accidentals' visibility open: let music21 decide from key and measure
        makeNotation.makeAccidentalsInMeasureStream(part, overrideStatus=False)
    encoder = _PartEncoder()
    encoded = [encoder.measure(m) for m in part.getElementsByClass("Measure")]
    # a measure of only grace notes or an empty ending bracket would be a bare "|" (one whose note cannot be
    # encoded stays, so its line is rejected and counted)
    return [m for m in encoded if m.body != ("|",) or m.problem]


# ------------------------------------------------------------------------------------------------ staff lines

def line_tokens(measures: list[EncodedMeasure]) -> list[str]:
    """One staff line: the first measure's clef and key (and its time signature, if it sets one), then the
    measures, later ones with their own clef / key / time changes."""
    first = measures[0]
    tokens = [first.clef, *first.key, *first.time, *first.body]
    for m in measures[1:]:
        tokens += [*m.opening, *m.body]
    return tokens


def group_measures(measures: list[EncodedMeasure], targets: Iterator[int], shortest: int,
                   longest: int) -> list[list[EncodedMeasure]]:
    """Measures cut into lines: each line takes measures while that brings its token count nearer to its
    drawn target. A tune's last line shorter than ``shortest`` joins the line before if the two together are
    no longer than ``longest`` (real staves run the page width; a stub would skew the distribution)."""
    lines: list[list[EncodedMeasure]] = []
    i = 0
    while i < len(measures):
        target, line = next(targets), [measures[i]]
        count = len(line_tokens(line))
        i += 1
        while i < len(measures):
            grown = count + len(measures[i].opening) + len(measures[i].body)
            if abs(grown - target) > abs(count - target):
                break
            line.append(measures[i])
            count, i = grown, i + 1
        lines.append(line)
    if len(lines) > 1 and len(line_tokens(lines[-1])) < shortest \
            and len(line_tokens(lines[-2] + lines[-1])) <= longest:
        lines[-2:] = [lines[-2] + lines[-1]]
    return lines


def parser_rejection(annotation: str) -> str | None:
    """Why Mashcima's parser would not take the line as it is (None = it does): a token outside its vocabulary,
    or the parser's first warning. Gold transcriptions must pass this; they may hold what Mashcima cannot draw."""
    from mashcima.vocabulary import parse_annotation_into_token_groups

    outside = [t for t in annotation.split() if t not in mashcima_vocabulary()]
    if outside:
        return f"token outside Mashcima's vocabulary ({_generic(outside[0])})"
    _, parser_warnings = parse_annotation_into_token_groups(annotation)
    if parser_warnings:
        return f"Mashcima's parser warns: {parser_warnings[0].split(':')[0]}"
    return None


def mashcima_rejection(annotation: str) -> str | None:
    """Why Mashcima would not take the line (None = it takes it): its parser's first warning, a token outside
    its vocabulary, or a canvas that does not give the line back."""
    from mashcima.annotation_to_image import token_groups_to_canvas
    from mashcima.Canvas import Canvas
    from mashcima.vocabulary import parse_annotation_into_token_groups

    rejection = parser_rejection(annotation)
    if rejection:
        return rejection
    groups, _ = parse_annotation_into_token_groups(annotation)
    canvas = Canvas()
    try:
        token_groups_to_canvas(canvas, groups)
    except Exception as e:  # noqa: BLE001 - Mashcima's canvas items fail with KeyError, AssertionError, ...
        return f"Mashcima's canvas cannot hold it ({type(e).__name__})"
    if canvas.get_annotations() != annotation.split():
        return "Mashcima's canvas gives another annotation back"
    return None


@functools.cache
def mashcima_vocabulary() -> frozenset[str]:
    """Every token Mashcima knows (a set: the list has ~1000 entries and every token of every line is looked up)."""
    from mashcima.vocabulary import VOCABULARY

    return frozenset(VOCABULARY)


def _generic(token: str) -> str:
    """A token without its position, so rejection reasons group (``q13`` and ``q-14`` are both ``q``)."""
    stem = token.rstrip("-0123456789")
    return token if token.startswith(("time.", "clef.")) or not stem else f"{stem}<pos>"


# ------------------------------------------------------------------------------------------------ statistics

def count_summary(counts: Iterable[int]) -> dict[str, float]:
    counts = sorted(counts)
    if not counts:
        return {"n": 0}
    q1, median, q3 = statistics.quantiles(counts, n=4, method="inclusive") if len(counts) > 1 else [counts[0]] * 3
    return {"n": len(counts), "min": counts[0], "q1": q1, "median": median, "q3": q3, "max": counts[-1],
            "mean": round(statistics.fmean(counts), 2)}


def ngram_overlap(gold: list[list[str]], lines: Iterable[list[str]], n: int) -> dict[str, float | int]:
    """How much of the gold's music the generated lines contain: the share of the gold's distinct token
    n-grams that occur in some generated line (only gold n-grams are kept, so memory stays small)."""
    wanted = {tuple(g[i:i + n]) for g in gold for i in range(len(g) - n + 1)}
    found: set[tuple[str, ...]] = set()
    for tokens in lines:
        for i in range(len(tokens) - n + 1):
            gram = tuple(tokens[i:i + n])
            if gram in wanted:
                found.add(gram)
    return {"n": n, "gold_ngrams": len(wanted), "found": len(found),
            "share": round(len(found) / len(wanted), 4) if wanted else 0.0}


# ------------------------------------------------------------------------------------------------ conversion

@dataclass
class Conversion:
    """What a corpus conversion made and what it left out, by reason."""

    lines: list[str] = field(default_factory=list)
    tunes_listed: Counter = field(default_factory=Counter)
    tunes_read: Counter = field(default_factory=Counter)
    tunes_skipped: Counter = field(default_factory=Counter)  # by reason
    parts_converted: int = 0
    lines_rejected: Counter = field(default_factory=Counter)  # by reason
    rejected_examples: dict[str, str] = field(default_factory=dict)  # one line per reason

    def reject(self, reason: str, annotation: str) -> None:
        self.lines_rejected[reason] += 1
        self.rejected_examples.setdefault(reason, annotation)


def tune_lines(tune: Tune, targets: Iterator[int], shortest: int, longest: int) -> list[tuple[str, str | None]]:
    """The staff lines of every part of one tune, each with the first problem of its measures (not yet checked
    by Mashcima); ``TuneSkipped`` when the tune cannot be converted."""
    parts = note_parts(read_tune(tune))
    if not parts:
        raise TuneSkipped("it has no notes")
    out = []
    for part in parts:
        measures = encode_part(part)
        for group in group_measures(measures, targets, shortest, longest):
            problem = next((m.problem for m in group if m.problem), None)
            out.append((" ".join(line_tokens(group)), problem))
    return out


def select_tunes(collections: list[str], limit: int | None, rng: random.Random) -> tuple[list[Tune], Counter]:
    """All tunes of the collections, or ``limit`` of them drawn with ``rng`` (kept in corpus order)."""
    tunes: list[Tune] = []
    listed: Counter = Counter()
    for collection in collections:
        found = list_tunes(collection)
        listed[collection] = len(found)
        tunes += found
    if limit is not None and limit < len(tunes):
        tunes = [tunes[i] for i in sorted(rng.sample(range(len(tunes)), limit))]
    return tunes, listed


def convert_corpus(collections: list[str], gold_counts: list[int], seed: int = 0, limit: int | None = None,
                   progress: bool = False) -> Conversion:
    """Convert the collections' tunes (all, or ``limit`` drawn with ``seed``) into checked staff lines."""
    rng = random.Random(seed)
    tunes, listed = select_tunes(collections, limit, rng)
    result = convert_tunes(tunes, gold_counts, rng, progress)
    result.tunes_listed = listed
    return result


def convert_tunes(tunes: list[Tune], gold_counts: list[int], rng: random.Random,
                  progress: bool = False) -> Conversion:
    """Staff lines of the tunes that Mashcima takes, shuffled with ``rng`` (so the first lines of the file are
    not all one collection); line lengths are drawn from ``gold_counts``. Unreadable or polyphonic tunes are
    skipped with a warning, and rejected lines counted by reason."""
    from tqdm import tqdm

    if not gold_counts:
        raise AnnotationsError("no gold staff token counts to follow")
    result = Conversion()
    targets = iter(lambda: rng.choice(gold_counts), None)
    shortest, longest = min(gold_counts), max(gold_counts)
    for tune in tqdm(tunes, unit="tune", desc="tunes", disable=not progress):
        try:
            lines = tune_lines(tune, targets, shortest, longest)
        except TuneSkipped as e:
            result.tunes_skipped[str(e)] += 1
            warnings.warn(f"skipped {tune.name}: {e}")
            continue
        result.tunes_read[tune.collection] += 1
        for annotation, problem in lines:
            reason = f"not encodable: {problem}" if problem else mashcima_rejection(annotation)
            if reason:
                result.reject(reason, annotation)
            else:
                result.lines.append(annotation)
    rng.shuffle(result.lines)
    return result


def conversion_report(result: Conversion, collections: list[str], seed: int, limit: int | None,
                      gold_path: str, gold: list[list[str]], output_bytes: bytes) -> dict:
    line_tokens_ = [line.split() for line in result.lines]
    return {
        "collections": collections, "seed": seed, "limit": limit,
        "tunes": {"listed": dict(result.tunes_listed), "read": dict(result.tunes_read),
                  "skipped": sum(result.tunes_skipped.values()), "skipped_by_reason": dict(result.tunes_skipped)},
        "lines": {"written": len(result.lines), "rejected": sum(result.lines_rejected.values()),
                  "rejected_by_reason": dict(result.lines_rejected.most_common()),
                  "rejected_examples": result.rejected_examples},
        "tokens_per_line": {"generated": count_summary(len(t) for t in line_tokens_),
                            "gold": count_summary(len(g) for g in gold), "gold_file": gold_path},
        "gold_overlap": [ngram_overlap(gold, line_tokens_, n) for n in (4, 8)]
        + [{"gold_staves_written_verbatim": len({" ".join(g) for g in gold} & set(result.lines))}],
        "sha256": hashlib.sha256(output_bytes).hexdigest(),
    }


# ------------------------------------------------------------------------------------------------ mixing

def random_line(target: int, rng: random.Random, attempts: int = 20) -> str:
    """A line of Mashcima's random annotations (``generate_random_annotation`` pieces joined) about ``target``
    tokens long, that Mashcima's parser and canvas take back: the first of ``attempts`` draws within
    ``max(4, target // 4)`` tokens of the target, else the nearest. Mashcima's generator draws from the global
    ``random``, so it is reseeded from ``rng`` per draw: the line depends only on ``rng``'s stream."""
    from mashcima import generate_random_annotation

    tolerance, best = max(4, target // 4), None
    for _ in range(attempts):
        random.seed(rng.getrandbits(64))
        pieces: list[str] = []
        while sum(len(p.split()) for p in pieces) < target:
            pieces.append(generate_random_annotation())
        shorter = sum(len(p.split()) for p in pieces[:-1])
        if len(pieces) > 1 and target - shorter < sum(len(p.split()) for p in pieces) - target:
            pieces.pop()  # the nearer of the two lengths around the target
        line = " ".join(" ".join(pieces).split())
        if mashcima_rejection(line) is not None:
            continue
        error = abs(len(line.split()) - target)
        if error <= tolerance:
            return line
        if best is None or error < best[0]:
            best = (error, line)
    if best is None:
        raise AnnotationsError(f"Mashcima took none of {attempts} random lines of ~{target} tokens")
    return best[1]


def mix_random(lines: list[str], share: float, seed: int = 0) -> tuple[list[str], int]:
    """``lines`` with a ``share`` of them (drawn with ``seed``) replaced by random annotations of the same token
    count: the mix of real and synthetic annotations Mashcima's best recogniser trained on (1:1), keeping the
    real lines' length distribution. Returns the lines and how many were replaced."""
    if not 0.0 <= share <= 1.0:
        raise AnnotationsError(f"--random-share must be in [0, 1], got {share}")
    rng = random.Random(seed)
    out, replaced = [], 0
    for line in lines:
        if rng.random() < share:
            out.append(random_line(len(line.split()), rng))
            replaced += 1
        else:
            out.append(line)
    return out, replaced
