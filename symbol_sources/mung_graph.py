"""One MUSCIMA++ page as a symbol graph (objects, outlinks, inlinks) and the geometry of its staves.

The transcriber (``symbol_sources.transcribe``) reads music off this graph: which objects belong to which staff,
and where on a staff an object sits, as Mashcima's staff position (0 = the middle line, +1 per line or space
upwards: the top line is 4, the bottom line -4, the first ledger line above 6).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from symbol_sources.muscima_pp import MuscimaError, MuscimaPP

STAFF_LINES = 5
# A notehead past its outermost ledger line by more than this many half spaces sits in the space beyond it:
# handwritten heads beyond a line sit low, 0.5-0.8 half spaces off it; heads on it within 0.3 (gold pages).
LEDGER_BEYOND = 0.4


@dataclass(frozen=True)
class MungObject:
    objid: int
    class_name: str
    top: int
    left: int
    height: int
    width: int
    outlinks: tuple[int, ...]
    row: int  # row in MuscimaPP, for the mask

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def center_x(self) -> float:
        return self.left + self.width / 2

    @property
    def center_y(self) -> float:
        return self.top + self.height / 2


class PageGraph:
    """The objects of one MUSCIMA++ document, reachable by id, with their links both ways."""

    def __init__(self, muscima: MuscimaPP, writer: int, page: int) -> None:
        hit = np.flatnonzero((muscima.doc_writer == writer) & (muscima.doc_page == page))
        if not len(hit):
            raise MuscimaError(f"MUSCIMA++ has no page {page} of writer {writer}")
        self.muscima, self.writer, self.page = muscima, writer, page
        rows = np.flatnonzero(muscima.doc == int(hit[0]))
        # A few objects are annotated twice (same class, same box: 70 in all, mostly dots and barlines); each is
        # read once, links to the copy going to the first.
        first_of: dict[tuple, int] = {}
        same_as: dict[int, int] = {}
        for i in rows:
            key = (int(muscima.class_id[i]), int(muscima.top[i]), int(muscima.left[i]), int(muscima.height[i]),
                   int(muscima.width[i]))
            same_as[int(muscima.objid[i])] = first_of.setdefault(key, int(muscima.objid[i]))
        outlinks: dict[int, list[int]] = {}
        for i in rows:
            kept = same_as[int(muscima.objid[i])]
            links = outlinks.setdefault(kept, [])
            links += [same_as[o] for o in map(int, muscima.outlinks_of(int(i))) if o in same_as
                      and same_as[o] not in links]
        self.objects: dict[int, MungObject] = {}
        for i in rows:
            i = int(i)
            objid = int(muscima.objid[i])
            if same_as[objid] == objid:
                self.objects[objid] = MungObject(
                    objid, muscima.class_names[muscima.class_id[i]], int(muscima.top[i]), int(muscima.left[i]),
                    int(muscima.height[i]), int(muscima.width[i]), tuple(outlinks[objid]), i)
        inlinks: dict[int, list[int]] = {k: [] for k in self.objects}
        for o in self.objects.values():
            for target in o.outlinks:
                if target in inlinks and target != o.objid:
                    inlinks[target].append(o.objid)
        self._inlinks = {k: tuple(v) for k, v in inlinks.items()}

    def children(self, obj: MungObject, *classes: str) -> list[MungObject]:
        """Objects ``obj`` links to, of the given classes (all when none given); links to missing ids are dropped."""
        found = (self.objects[o] for o in obj.outlinks if o in self.objects)
        return [c for c in found if not classes or c.class_name in classes]

    def parents(self, obj: MungObject, *classes: str) -> list[MungObject]:
        """Objects linking to ``obj``, of the given classes (all when none given)."""
        found = (self.objects[o] for o in self._inlinks.get(obj.objid, ()))
        return [p for p in found if not classes or p.class_name in classes]

    def of_class(self, *classes: str) -> list[MungObject]:
        return [o for o in self.objects.values() if o.class_name in classes]

    @cached_property
    def staves(self) -> list[MungObject]:
        """The ``staff`` objects from the top of the page: the same order as ``real_staves.staff_boxes``."""
        return sorted(self.of_class("staff"), key=lambda s: s.top)

    def mask(self, obj: MungObject) -> np.ndarray:
        return self.muscima.mask(obj.row)

    def ink_center_x(self, obj: MungObject, top: int, bottom: int) -> float:
        """Mean column of the object's ink between rows ``top`` and ``bottom``: where a long, slanted line
        (a barline through a whole system) crosses one staff. The box centre where it has no ink there."""
        mask = self.mask(obj)[max(0, top - obj.top):max(0, bottom - obj.top)]
        columns = np.flatnonzero(mask.any(axis=0)) if mask.size else np.zeros(0)
        return float(obj.left + columns.mean()) if len(columns) else obj.center_x


class StaffGeometry:
    """Where a staff's five lines run, column by column, and the staff position of a point."""

    def __init__(self, graph: PageGraph, staff: MungObject) -> None:
        lines = sorted(graph.children(staff, "staff_line"), key=lambda o: o.center_y)
        if len(lines) != STAFF_LINES:
            raise ValueError(f"staff {staff.objid} has {len(lines)} staff lines, not {STAFF_LINES}")
        self._traces = [self._trace(graph, line) for line in lines]
        self._graph, self._staff = graph, staff
        spaces = sorted(graph.children(staff, "staff_space"), key=lambda o: o.center_y)
        # MuNG names the line or space a notehead on the staff sits on; the staff links its own six spaces,
        # the outer two included
        self._named = {o.objid: 4 - 2 * k for k, o in enumerate(lines)}
        self._named.update({o.objid: 5 - 2 * k for k, o in enumerate(spaces)})

    @staticmethod
    def _trace(graph: PageGraph, line: MungObject) -> tuple[np.ndarray, np.ndarray]:
        # a handwritten page is not flat: follow the line's ink column by column instead of its box centre
        mask = graph.mask(line)
        inked = mask.any(axis=0)
        columns = np.flatnonzero(inked)
        if not len(columns):
            return np.array([line.center_x]), np.array([line.center_y])
        rows = np.arange(mask.shape[0])[:, None]
        middle = (mask[:, columns] * rows).sum(axis=0) / mask[:, columns].sum(axis=0)
        return line.left + columns.astype(float), line.top + middle

    def line_ys(self, x: float) -> np.ndarray:
        """y of the five lines (top first) at column ``x``; past a line's end its last y holds."""
        return np.array([np.interp(x, xs, ys) for xs, ys in self._traces])

    def spacing(self, x: float) -> float:
        """Distance between neighbouring lines at ``x``."""
        return float(np.diff(self.line_ys(x)).mean())

    def continuous_position(self, x: float, y: float) -> float:
        """Staff position of the point, as a real number: interpolated between lines, extrapolated with the
        mean spacing past the outer lines (ledger lines keep the staff's spacing)."""
        ys = self.line_ys(x)
        positions = np.arange(4, -5, -2, dtype=float)  # top line 4 ... bottom line -4
        half = np.diff(ys).mean() / 2
        if y < ys[0]:
            return 4 + (ys[0] - y) / half
        if y > ys[-1]:
            return -4 - (y - ys[-1]) / half
        return float(np.interp(y, ys, positions))

    def position(self, x: float, y: float) -> int:
        return int(round(self.continuous_position(x, y)))

    def notehead_position(self, head: MungObject) -> int:
        """The staff line or space MuNG links the notehead to; past the staff, counted from the ledger lines it
        links (on the outermost one, or beyond it when its centre is ``LEDGER_BEYOND`` off it); else measured."""
        linked = {self._named[o.objid] for o in self._graph.children(head, "staff_line", "staff_space")
                  if o.objid in self._named}
        if len(linked) == 1:
            return linked.pop()
        ledgers = self._graph.children(head, "ledger_line")
        above = [o for o in ledgers if o.center_y < self._staff.top]
        below = [o for o in ledgers if o.center_y > self._staff.bottom]
        half_space = self.spacing(head.center_x) / 2
        if above and not below:  # on the outermost ledger line, or in the space beyond it
            outer = min(above, key=lambda o: o.center_y)
            beyond = (outer.center_y - head.center_y) / half_space > LEDGER_BEYOND
            return 4 + 2 * len(above) + int(beyond)
        if below and not above:
            outer = max(below, key=lambda o: o.center_y)
            beyond = (head.center_y - outer.center_y) / half_space > LEDGER_BEYOND
            return -4 - 2 * len(below) - int(beyond)
        return self.position(head.center_x, head.center_y)
