"""MUSCIMA++ symbol graphs to Mashcima annotations: one gold transcription per staff, read off the MuNG objects.

Staves are numbered from the top of the page, as ``real_staves.staff_boxes`` numbers them, so a row of the
written gold file names the staff image ``real_staves`` renders. The conventions follow the human gold
(``cvc-muscima-gold/dev.tsv``) read against its pages' MuNG objects:

- every item sits where its object does, left to right: clefs (``clef.G-2``, ``clef.F2``, ``clef.C<line>``),
  key signatures (bare accidentals: ``#4 #1``), time signatures (``time.3 time.4``, ``time.C``), notes, rests,
  barlines (``|``, also the system's opening line drawn by its staff grouping; ``|:`` ``:|`` ``:|:`` for repeats);
- a note is its value letter and its staff position (``q4``: a quarter on the top line). The position is the
  staff line or space MuNG links the notehead to, else counted from the ledger lines it links, else measured.
  The value comes from the notehead (empty: whole, or half with a stem), its beams and flags (one level: eighth,
  two: sixteenth, three: thirty-second); beamed notes carry ``=`` towards their beamed neighbours (``e=5 =e3``);
- attachments go round their item in the order Mashcima's parser checks: ``)`` (a slur or tie ends here),
  ``fermata``, ``trill``, ``tuplet.3`` (on the tuplet's middle item) and accidentals (at the note's position)
  before it; staccato ``.``, tenuto ``_``, accent ``>``, duration dots ``*`` ``**`` and ``(`` (a slur or tie
  starts here) after it. A slur running on to another staff is ``(`` or ``)`` alone;
- what Mashcima cannot encode is left out as the human gold leaves it out (text, dynamics, hairpins, other
  ornaments, tuplet numbers other than 3) or marked ``?``, the vocabulary's unknown symbol: a run of grace notes
  is one ``?``, as in the gold, and so is a chord (noteheads sharing a stem or the same column), which the gold
  has none of.

A staff is skipped, never guessed, when its objects cannot give a line (no five staff lines, a note value
Mashcima has no letter for), or when Mashcima's parser would not take the line (``parser_rejection``);
``TranscribedStaff.skip_reason`` says why.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from symbol_sources.annotations import parser_rejection
from symbol_sources.muscima_pp import MuscimaPP
from symbol_sources.mung_graph import MungObject, PageGraph, StaffGeometry
from symbol_sources.real_staves import GOLD_COLUMNS

NOTEHEADS = ("notehead-full", "notehead-empty")
GRACE_NOTEHEADS = ("grace-notehead-full",)
REST_TOKENS = {"whole_rest": "wr", "half_rest": "hr", "quarter_rest": "qr", "8th_rest": "er", "16th_rest": "sr"}
# MuNG draws each flag as its own object: a sixteenth has an 8th_flag and a 16th_flag, so every flag is one level
# (a lone 16th_flag is a single flag named for the note's value: 70 of them, all on single-flag notes we checked).
FLAG_CLASSES = ("8th_flag", "16th_flag")
VALUE_LETTERS = {0: "q", 1: "e", 2: "s", 3: "t"}  # beam and flag levels of a full notehead
ACCIDENTAL_SIGNS = {"sharp": "#", "flat": "b", "natural": "N", "double_sharp": "x"}
AFTER_MARKS = {"staccato-dot": ".", "tenuto": "_", "accent": ">"}
BEFORE_MARKS = {"fermata": "fermata", "trill": "trill"}
SLUR_CLASSES = ("slur", "tie")
BARLINE_CLASSES = ("thin_barline", "thick_barline")
CLEF_LETTERS = {"g-clef": "G", "f-clef": "F", "c-clef": "C"}
# The G and F clefs are read as the usual treble and bass clefs: a handwritten G or F clef's box says little
# about which line it marks. A C clef moves; its box centre is on its line.
FIXED_CLEF_POSITIONS = {"G": -2, "F": 2}
# A handwritten C clef reaches further below its line than above it: its box centre is about half a step low
# (measured on the gold pages' sixteen C clefs).
C_CLEF_RISE = 0.5
# Diatonic step (C = 0 ... B = 6) of the note on the clef's line, and the order key signatures write accidentals.
CLEF_LINE_STEPS = {"G": 4, "F": 3, "C": 0}
SHARP_ORDER_STEPS = (3, 0, 4, 1, 5, 2, 6)  # F C G D A E B
FLAT_ORDER_STEPS = (6, 2, 5, 1, 4, 0, 3)  # B E A D G C F
# A flat's pitch is its belly, low in its box; a sharp or natural's is its centre (measured on the inline
# accidentals of all MUSCIMA++ against their notes' positions).
ACCIDENTAL_PITCH_HEIGHT = {"flat": 0.75}
LONGA_REST_SPACES = 1.5  # a multi-measure-rest block taller than this many staff spaces is a longa rest, else breve

# skip reasons
NO_STAFF_LINES = "staff without five staff lines"
UNKNOWN_VALUE = "note value Mashcima cannot encode"


class TranscribeError(ValueError):
    """A transcription that cannot run or be written as asked (one-line message)."""


class Untranscribable(Exception):
    """This staff's objects cannot give a line; the message is the reason, counted by it."""


@dataclass(frozen=True)
class TranscribedStaff:
    writer: int
    page: int
    staff: int  # 0-based from the top, as in real_staves
    annotation: str | None  # None = skipped
    skip_reason: str | None = None
    detail: str = ""  # what exactly failed, for the person checking the skip

    @property
    def transcribed(self) -> bool:
        return self.annotation is not None


@dataclass
class _Item:
    """One token of the line with its attachments, placed at its object's column."""

    x: float
    token: str
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    grace: bool = False

    def add_once(self, where: list[str], mark: str) -> None:
        if mark not in where:
            where.append(mark)


def _ordered_attachments(marks: list[str]) -> list[str]:
    """``marks`` in the order Mashcima's parser checks attachments in (it warns on any other): its own list."""
    from mashcima.vocabulary import _ATTACHMENT_ORDER, to_generic

    return sorted(marks, key=lambda t: _ATTACHMENT_ORDER.index(to_generic(t)))


def _clef_step(clef: tuple[str, int], position: int) -> int:
    """Diatonic step (C = 0) of the note at ``position`` under ``clef`` (letter, position of its line)."""
    letter, line = clef
    return (CLEF_LINE_STEPS[letter] + position - line) % 7


class StaffReader:
    """Reads one staff of a page graph into Mashcima tokens."""

    def __init__(self, graph: PageGraph, index: int) -> None:
        self.graph, self.index = graph, index
        self.staff = graph.staves[index]
        try:
            self.geometry = StaffGeometry(graph, self.staff)
        except ValueError as e:
            raise Untranscribable(NO_STAFF_LINES) from e
        self.staff_index = {s.objid: k for k, s in enumerate(graph.staves)}

    # -- where things are -------------------------------------------------------------------------------------
    def on_this_staff(self, classes: Sequence[str]) -> list[MungObject]:
        """Objects of ``classes`` that link to this staff."""
        return self.graph.parents(self.staff, *classes)

    def staff_of(self, obj: MungObject) -> int | None:
        staves = [self.staff_index[s.objid] for s in self.graph.children(obj, "staff")]
        return staves[0] if staves else None

    def overlaps_staff(self, obj: MungObject) -> bool:
        return obj.top < self.staff.bottom and obj.bottom > self.staff.top

    def accidental_position(self, accidental: MungObject) -> float:
        y = accidental.top + ACCIDENTAL_PITCH_HEIGHT.get(accidental.class_name, 0.5) * accidental.height
        return self.geometry.continuous_position(accidental.center_x, y)

    # -- items ------------------------------------------------------------------------------------------------
    def clefs(self) -> list[tuple[MungObject, tuple[str, int]]]:
        """Each clef with (letter, position of its line), left to right."""
        found = []
        for clef in sorted(self.on_this_staff(tuple(CLEF_LETTERS)), key=lambda o: o.left):
            letter = CLEF_LETTERS[clef.class_name]
            if letter in FIXED_CLEF_POSITIONS:
                line = FIXED_CLEF_POSITIONS[letter]
            else:  # nearest line, kept on the staff
                measured = self.geometry.continuous_position(clef.center_x, clef.center_y) + C_CLEF_RISE
                line = max(-4, min(4, 2 * int(round(measured / 2))))
            found.append((clef, (letter, line)))
        return found

    def clef_items(self, clefs: list[tuple[MungObject, tuple[str, int]]]) -> list[_Item]:
        return [_Item(c.center_x, f"clef.{letter}{line}") for c, (letter, line) in clefs]

    def key_signature_items(self, clefs: list[tuple[MungObject, tuple[str, int]]]) -> list[_Item]:
        """The accidentals of each key signature at their positions. Sharps and flats are snapped to the nearest
        position of the note they stand for (F C G D A E B for sharps, B E A D G C F for flats, under the clef
        before them): a handwritten accidental is often drawn a step off, the note it names is not in doubt."""
        items = []
        for key in self.on_this_staff(("key_signature",)):
            clef = next((c for obj, c in reversed(clefs) if obj.center_x < key.center_x), clefs[0][1] if clefs
                        else ("G", -2))
            counts: Counter = Counter()
            for acc in sorted(self.graph.children(key, *ACCIDENTAL_SIGNS), key=lambda o: o.left):
                measured = self.accidental_position(acc)
                order = {"sharp": SHARP_ORDER_STEPS, "flat": FLAT_ORDER_STEPS}.get(acc.class_name)
                k = counts[acc.class_name]
                counts[acc.class_name] += 1
                if order is None or k >= len(order):
                    position = int(round(measured))
                else:
                    candidates = [p for p in range(-12, 13) if _clef_step(clef, p) == order[k]]
                    position = min(candidates, key=lambda p: abs(p - measured))
                items.append(_Item(acc.center_x, f"{ACCIDENTAL_SIGNS[acc.class_name]}{position}"))
        return items

    def time_signature_items(self) -> list[_Item]:
        """``time.C`` for the common-time mark; numerals as the upper number's digits, then the lower's."""
        items = []
        for ts in self.on_this_staff(("time_signature",)):
            middle = self.geometry.line_ys(ts.center_x)[2]
            marks = self.graph.children(ts)
            tokens = ["time.C" for m in marks if m.class_name == "whole-time_mark"]
            digits = [m for m in marks if m.class_name.startswith("numeral_")]
            upper = sorted((m for m in digits if m.center_y < middle), key=lambda m: m.left)
            lower = sorted((m for m in digits if m.center_y >= middle), key=lambda m: m.left)
            tokens += [f"time.{m.class_name.split('_')[1]}" for m in upper + lower]
            if tokens:
                items.append(_Item(ts.center_x, tokens[0]))
                items += [_Item(ts.center_x + 1e-3 * (k + 1), t) for k, t in enumerate(tokens[1:])]
        return items

    def barline_items(self) -> list[_Item]:
        """``|`` per measure separator and per system-opening line of a staff grouping; repeats by their dots."""
        items: list[_Item] = []
        repeat_lines: dict[int, MungObject] = {}
        for repeat in self.graph.of_class("repeat"):
            lines = [b for b in self.graph.children(repeat, *BARLINE_CLASSES) if self.overlaps_staff(b)]
            if not lines:
                continue
            for b in lines:
                repeat_lines[b.objid] = repeat
            x = sum(self.crossing_x(b) for b in lines) / len(lines)
            dots = [d for d in self.graph.children(repeat, "repeat-dot") if self.overlaps_staff(d)]
            token = (":" if any(d.center_x < x for d in dots) else "") + "|" + (
                ":" if any(d.center_x > x for d in dots) else "")
            items.append(_Item(x, token))
        for sep in self.on_this_staff(("measure_separator",)):
            lines = [b for b in self.graph.children(sep, *BARLINE_CLASSES) if self.overlaps_staff(b)]
            if any(b.objid in repeat_lines for b in lines):
                continue  # drawn as its repeat
            x = sum(self.crossing_x(b) for b in lines) / len(lines) if lines else self.crossing_x(sep)
            item = _Item(x, "|")
            if self.graph.children(sep, "fermata"):
                item.before.append("fermata")
            items.append(item)
        opening = self.system_opening_line()
        if opening is not None:
            items.append(_Item(opening, "|"))
        return self.one_per_line(items)

    def one_per_line(self, barlines: list[_Item]) -> list[_Item]:
        """One ``|`` where MuNG has two separators within a staff space of each other (one barline annotated
        twice, or the two strokes of a double barline): the gold writes one."""
        kept: list[_Item] = []
        for item in sorted(barlines, key=lambda i: i.x):
            if kept and item.token == kept[-1].token == "|" \
                    and item.x - kept[-1].x < self.geometry.spacing(item.x):
                kept[-1].before = sorted(set(kept[-1].before) | set(item.before))
                continue
            kept.append(item)
        return kept

    def measure_repeat_items(self) -> list[_Item]:
        """``?`` for a measure-repeat sign, which Mashcima has no token for (MuNG links it to no staff)."""
        return [_Item(m.center_x, "?") for m in self.graph.of_class("repeat_measure")
                if self.staff.top <= m.center_y <= self.staff.bottom]

    def system_opening_line(self) -> float | None:
        """Column of the line a staff grouping opens the system with, where this staff has one: a barline of
        the grouping, or a bracket drawn over every staff of the page (the gold reads both as ``|``; a brace,
        or a bracket over part of the page, it does not)."""
        separated = {b.objid for sep in self.graph.of_class("measure_separator") for b in self.graph.children(sep)}
        for grouping in self.graph.parents(self.staff, "staff_grouping"):
            for b in self.graph.children(grouping, *BARLINE_CLASSES):
                if self.overlaps_staff(b) and b.objid not in separated:
                    return self.crossing_x(b)
            whole_page = len(self.graph.children(grouping, "staff")) == len(self.graph.staves)
            for bracket in self.graph.children(grouping, "multi-staff_bracket"):
                if whole_page and self.overlaps_staff(bracket):
                    return self.crossing_x(bracket)
        return None

    def crossing_x(self, obj: MungObject) -> float:
        return self.graph.ink_center_x(obj, self.staff.top, self.staff.bottom)

    def rest_items(self) -> tuple[list[_Item], dict[int, _Item]]:
        items, by_rest = [], {}
        for rest in self.on_this_staff(tuple(REST_TOKENS) + ("multi-measure_rest",)):
            if rest.class_name == "multi-measure_rest":
                tall = rest.height > LONGA_REST_SPACES * self.geometry.spacing(rest.center_x)
                token = "lr" if tall else "br"
            else:
                token = REST_TOKENS[rest.class_name]
            item = _Item(rest.center_x, token)
            self.add_dots_and_marks(rest, item)
            items.append(item)
            by_rest[rest.objid] = item
        return items, by_rest

    def add_dots_and_marks(self, obj: MungObject, item: _Item) -> None:
        dots = self.graph.children(obj, "duration-dot")
        if len(dots) > 2:
            raise Untranscribable(UNKNOWN_VALUE)
        if dots:
            item.after.append("*" * len(dots))
        for mark in self.graph.children(obj, *AFTER_MARKS):
            item.add_once(item.after, AFTER_MARKS[mark.class_name])
        for mark in self.graph.children(obj, *BEFORE_MARKS):
            item.add_once(item.before, BEFORE_MARKS[mark.class_name])

    def beams_of(self, head: MungObject) -> set[int]:
        """Ids of the beams over the notehead, counting the strokes of a tremolo between two notes' stems: the
        gold writes two half notes joined by two strokes as beamed sixteenths (``s=-6 =s-4``), as they look."""
        strokes = {t.objid for stem in self.graph.children(head, "stem")
                   for t in self.graph.children(stem, "multiple-note_tremolo")}
        return {b.objid for b in self.graph.children(head, "beam")} | strokes

    def note_value(self, head: MungObject) -> str:
        stems = self.graph.children(head, "stem")
        beams = self.beams_of(head)
        levels = len(beams) + len(self.graph.children(head, *FLAG_CLASSES))
        tremolo_only = beams and not self.graph.children(head, "beam")
        if head.class_name == "notehead-empty" and not tremolo_only:
            if levels:
                raise Untranscribable(UNKNOWN_VALUE)
            return "h" if stems else "w"
        if (not stems and not levels) or levels not in VALUE_LETTERS:  # a bare full head; past a 32nd
            raise Untranscribable(UNKNOWN_VALUE)
        return VALUE_LETTERS[levels]

    def chords(self, heads: list[MungObject]) -> list[list[MungObject]]:
        """Noteheads grouped into what sounds at once: sharing a stem, or overlapping by half a head's width."""
        group = {h.objid: {h.objid} for h in heads}

        def join(a: int, b: int) -> None:
            merged = group[a] | group[b]
            for k in merged:
                group[k] = merged

        for i, a in enumerate(heads):
            stems_a = {s.objid for s in self.graph.children(a, "stem")}
            for b in heads[i + 1:]:
                overlap = min(a.right, b.right) - max(a.left, b.left)
                shared_stem = stems_a & {s.objid for s in self.graph.children(b, "stem")}
                if shared_stem or overlap > 0.5 * min(a.width, b.width):
                    join(a.objid, b.objid)
        by_id = {h.objid: h for h in heads}
        seen, chords = set(), []
        for h in heads:
            key = frozenset(group[h.objid])
            if key not in seen:
                seen.add(key)
                chords.append(sorted((by_id[k] for k in key), key=lambda o: o.left))
        return chords

    def note_items(self) -> tuple[list[_Item], dict[int, _Item]]:
        """Notes, chords (``?``) and grace notes (``?``, merged with their run later); by notehead id."""
        items, by_head = [], {}
        heads = self.on_this_staff(NOTEHEADS)
        singles = []
        for chord in self.chords(heads):
            if len(chord) == 1:
                singles.append(chord[0])
                continue
            item = _Item(sum(h.center_x for h in chord) / len(chord), "?")
            items.append(item)
            by_head.update({h.objid: item for h in chord})
        for head in singles:
            position = self.geometry.notehead_position(head)
            item = _Item(head.center_x, f"{self.note_value(head)}{position}")
            for acc in sorted(self.graph.children(head, *ACCIDENTAL_SIGNS), key=lambda o: o.left):
                item.add_once(item.before, f"{ACCIDENTAL_SIGNS[acc.class_name]}{position}")
            self.add_dots_and_marks(head, item)
            items.append(item)
            by_head[head.objid] = item
        self.add_beams(singles, by_head)
        for grace in self.on_this_staff(GRACE_NOTEHEADS):
            items.append(_Item(grace.center_x, "?", grace=True))
        return items, by_head

    def add_beams(self, heads: list[MungObject], by_head: dict[int, _Item]) -> None:
        """``=`` towards each beamed neighbour: notes sharing a beam form a group, read left to right."""
        groups: list[list[MungObject]] = []
        for head in sorted(heads, key=lambda o: o.center_x):
            beams = self.beams_of(head)
            touching = [g for g in groups if beams & {b for h in g for b in self.beams_of(h)}]
            merged = [head] + [h for g in touching for h in g]
            groups = [g for g in groups if g not in touching] + [sorted(merged, key=lambda o: o.center_x)]
        for group in groups:
            if len(group) < 2:
                continue
            for k, head in enumerate(group):
                item = by_head[head.objid]
                item.token = ("=" if k > 0 else "") + item.token[0] + ("=" if k < len(group) - 1 else "") \
                    + item.token[1:]

    # -- attachments spanning items ---------------------------------------------------------------------------
    def add_slurs(self, by_head: dict[int, _Item]) -> None:
        """``(`` after a slur's or tie's first item on this staff, ``)`` before its last; one running on to (or
        in from) another staff gets the one that stays here."""
        seen = set()
        for head_id, item in by_head.items():
            head = self.graph.objects[head_id]
            for slur in self.graph.children(head, *SLUR_CLASSES):
                if slur.objid in seen:
                    continue
                seen.add(slur.objid)
                if self.graph.parents(slur, *GRACE_NOTEHEADS):
                    continue  # a grace note's slur to its main note: the gold's ``?`` stands for both
                heads = self.graph.parents(slur, *NOTEHEADS)
                here = sorted({id(by_head[h.objid]): by_head[h.objid] for h in heads if h.objid in by_head}.values(),
                              key=lambda i: i.x)
                elsewhere = [s for h in heads if h.objid not in by_head for s in [self.staff_of(h)] if s is not None]
                if len(here) >= 2:
                    here[0].add_once(here[0].after, "(")
                    here[-1].add_once(here[-1].before, ")")
                elif elsewhere:
                    starts = min(elsewhere) > self.index
                    self._half_slur(here[0], starts)
                else:
                    self._half_slur(here[0], slur.center_x > here[0].x)

    @staticmethod
    def _half_slur(item: _Item, starts: bool) -> None:
        if starts:
            item.add_once(item.after, "(")
        else:
            item.add_once(item.before, ")")

    def add_tuplets(self, by_object: dict[int, _Item]) -> None:
        """``tuplet.3`` before the tuplet's item nearest its number (the gold's: the middle of three)."""
        tuples = {t.objid: t for obj_id in by_object for t in self.graph.children(self.graph.objects[obj_id], "tuple")}
        for tup in tuples.values():
            if not self.graph.children(tup, "numeral_3") or len(self.graph.children(tup, "numeral_3")) > 1:
                continue  # Mashcima has tuplet.3 only
            members = sorted({id(by_object[p.objid]): by_object[p.objid] for p in self.graph.parents(tup)
                              if p.objid in by_object}.values(), key=lambda i: i.x)
            number = self.graph.children(tup, "numeral_3")[0]
            nearest = min(members, key=lambda i: abs(i.x - number.center_x))
            nearest.add_once(nearest.before, "tuplet.3")
            if self.graph.children(tup, "tuple_bracket/line") and len(members) >= 2:
                # a handwritten tuplet bracket is an arc: the gold reads it as a slur over the tuplet
                members[0].add_once(members[0].after, "(")
                members[-1].add_once(members[-1].before, ")")

    # -- the line ---------------------------------------------------------------------------------------------
    def items(self) -> list[_Item]:
        clefs = self.clefs()
        notes, by_head = self.note_items()
        rests, by_rest = self.rest_items()
        self.add_slurs(by_head)
        self.add_tuplets({**by_head, **by_rest})
        items = (self.clef_items(clefs) + self.key_signature_items(clefs) + self.time_signature_items()
                 + self.barline_items() + self.measure_repeat_items() + notes + rests)
        return sorted(items, key=lambda i: i.x)

    def tokens(self) -> list[str]:
        tokens: list[str] = []
        previous: _Item | None = None
        for item in self.items():
            if item.grace and previous is not None and previous.grace:
                continue  # a run of grace notes is one unknown symbol
            tokens += _ordered_attachments(item.before) + [item.token] + _ordered_attachments(item.after)
            previous = item
        return tokens


def transcribe_staff(graph: PageGraph, index: int) -> TranscribedStaff:
    """One staff's line, or why there is none."""
    try:
        annotation = " ".join(StaffReader(graph, index).tokens())
    except Untranscribable as e:
        return TranscribedStaff(graph.writer, graph.page, index, None, str(e))
    rejection = parser_rejection(annotation)
    if rejection is not None:
        return TranscribedStaff(graph.writer, graph.page, index, None, rejection.split(" (")[0], annotation)
    return TranscribedStaff(graph.writer, graph.page, index, annotation)


def transcribe_page(muscima: MuscimaPP, writer: int, page: int) -> list[TranscribedStaff]:
    graph = PageGraph(muscima, writer, page)
    return [transcribe_staff(graph, k) for k in range(len(graph.staves))]


def writer_pages(muscima: MuscimaPP, writers: Iterable[int]) -> list[tuple[int, int]]:
    """(writer, page) of every MUSCIMA++ page of ``writers``, in order."""
    wanted = set(writers)
    return sorted((int(w), int(p)) for w, p in zip(muscima.doc_writer, muscima.doc_page) if int(w) in wanted)


def transcribe_writers(muscima: MuscimaPP, writers: Iterable[int]) -> list[TranscribedStaff]:
    """Every staff of every page of ``writers``; a writer MUSCIMA++ has no page of is an error."""
    writers = list(writers)
    missing = sorted(set(writers) - {int(w) for w in muscima.doc_writer})
    if missing:
        raise TranscribeError(f"MUSCIMA++ has no page of writer {', '.join(map(str, missing))} "
                              f"(it has writers {int(muscima.doc_writer.min())}-{int(muscima.doc_writer.max())})")
    return [st for w, p in writer_pages(muscima, writers) for st in transcribe_page(muscima, w, p)]


def skip_counts(staves: Iterable[TranscribedStaff]) -> dict[str, int]:
    counts = Counter(s.skip_reason for s in staves if not s.transcribed)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def unknown_symbols(staves: Iterable[TranscribedStaff]) -> int:
    """How many ``?`` (grace-note runs, chords, measure repeats) the transcribed staves hold."""
    return sum(s.annotation.split().count("?") for s in staves if s.transcribed)


def gold_tsv(staves: Iterable[TranscribedStaff]) -> str:
    """The transcribed staves as a gold file (``real_staves.read_gold``'s format); skipped ones are left out.

    Every row is checked again before it is given out: a line Mashcima's parser would not take, a staff named
    twice, or no staff at all is an error, so a file written from this text is always usable as gold.
    """
    rows = [s for s in staves if s.transcribed]
    if not rows:
        raise TranscribeError("no staff could be transcribed; nothing to write")
    seen = set()
    for s in rows:
        rejection = parser_rejection(s.annotation)
        if rejection is not None or "\t" in s.annotation or (s.writer, s.page, s.staff) in seen:
            raise TranscribeError(f"writer {s.writer} page {s.page} staff {s.staff}: "
                                  f"{rejection or 'not a single gold row'}")
        seen.add((s.writer, s.page, s.staff))
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar=None)
    writer.writerow(GOLD_COLUMNS)
    writer.writerows((s.writer, s.page, s.staff, s.annotation) for s in rows)
    return out.getvalue()
