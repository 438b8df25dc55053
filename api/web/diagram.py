"""The state diagram of a procedure as SVG, drawn on the server from the same definition the engine runs on.

No JavaScript and no layout service: the states are laid out in rows by their distance from the initial state
(breadth-first, so every forward step goes down exactly one row), ordered within a row to keep arrows short
(barycentre sweeps). Steps back up are curves between the rows, steps within a row run side by side or arc below
it, a step that stays in its state is a loop at the side. A terminal state that many states lead to (withdrawal)
stands in a column at the right, fed by one bus line, so its arrows do not cross the whole picture.

Everything written into the SVG is escaped: labels come from procedure files. Colours and sizes are presentation
attributes (the pages' CSP forbids style attributes), so the SVG also stands alone.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from api.web.texts import text
from workflow.procedure.definition import Procedure

BOX_W, LINE_H, BOX_PAD = 184, 16, 10
H_GAP, V_GAP = 104, 92
MARGIN_LEFT, MARGIN_TOP, MARGIN = 170, 64, 24
RAIL_GAP = 170
BOX_CHARS, EDGE_CHARS, SIDE_CHARS = 23, 24, 14
BOX_FONT, EDGE_FONT = 13, 12
INK, EDGE_INK, CURRENT_INK = "#1f2937", "#475569", "#92400e"
ARIA_CURRENT = ' aria-current="true"'


@dataclass
class Box:
    name: str
    lines: list[str]
    terminal: bool
    row: int = 0
    x: float = 0.0
    y: float = 0.0
    rail: bool = False

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2


@dataclass
class Edge:
    transition: str
    source: str
    target: str
    kind: str = ""  # down | up | far_up | side | arc | loop | rail
    ports: dict[str, float] = field(default_factory=dict)


@dataclass
class Label:
    x: float
    y: float
    lines: list[str]
    anchor: str = "middle"

    def bbox(self) -> tuple[float, float, float, float]:
        width = max(len(line) for line in self.lines) * EDGE_FONT * 0.56 + 6
        height = len(self.lines) * (EDGE_FONT + 2) + 4
        left = {"middle": self.x - width / 2, "start": self.x - 3, "end": self.x - width + 3}[self.anchor]
        return left, self.y - height / 2, left + width, self.y + height / 2


def wrap(label: str, width: int, max_lines: int) -> list[str]:
    """Words on lines of at most `width` characters; what does not fit ends in an ellipsis."""
    lines: list[str] = []
    for word in label.split():
        rest = word
        while len(rest) > width:
            lines.append(rest[:width - 1] + "-")
            rest = rest[width - 1:]
        if lines and len(lines[-1]) + 1 + len(rest) <= width:
            lines[-1] += " " + rest
        else:
            lines.append(rest)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:width - 1].rstrip() + "…"
    return lines or [""]


def layers(procedure: Procedure) -> dict[str, int]:
    """Each state's distance from the initial state (breadth-first, in the definition's order)."""
    outgoing: dict[str, list[str]] = {name: [] for name in procedure.states}
    for transition in procedure.transitions.values():
        for source in transition.sources:
            outgoing[source].append(transition.to)
    distance = {procedure.initial: 0}
    queue = deque([procedure.initial])
    while queue:
        state = queue.popleft()
        for target in outgoing[state]:
            if target not in distance:
                distance[target] = distance[state] + 1
                queue.append(target)
    deepest = max(distance.values())
    return {name: distance.get(name, deepest + 1) for name in procedure.states}


class Layout:
    def __init__(self, procedure: Procedure, language: str) -> None:
        self.procedure = procedure
        self.language = language
        layer = layers(procedure)
        self.edges = [Edge(t.name, source, t.to) for t in procedure.transitions.values() for source in t.sources]
        self.line_count = 2
        self.boxes: dict[str, Box] = {}
        for name, state in procedure.states.items():
            lines = wrap(state.label.get(language), BOX_CHARS, 3)
            self.line_count = max(self.line_count, len(lines))
            self.boxes[name] = Box(name, lines, state.terminal, row=layer[name])
        self.box_h = self.line_count * LINE_H + 2 * BOX_PAD
        self._choose_rail(layer)
        self._order_rows()
        self._place()
        self._route()

    # --- where the boxes go ------------------------------------------------------------------------------

    def _choose_rail(self, layer: dict[str, int]) -> None:
        sources: dict[str, set[str]] = {name: set() for name in self.boxes}
        for edge in self.edges:
            if edge.source != edge.target:
                sources[edge.target].add(edge.source)
        for name, box in self.boxes.items():
            rows = [layer[s] for s in sources[name]]
            box.rail = box.terminal and len(rows) >= 3 and max(rows) - min(rows) >= 2

    def _order_rows(self) -> None:
        used = sorted({b.row for b in self.boxes.values() if not b.rail})
        renumber = {row: index for index, row in enumerate(used)}
        self.rows: list[list[str]] = [[] for _ in used]
        for name, box in self.boxes.items():
            if not box.rail:
                box.row = renumber[box.row]
                self.rows[box.row].append(name)
        neighbours: dict[str, list[str]] = {name: [] for name in self.boxes}
        for edge in self.edges:
            if edge.source != edge.target:
                neighbours[edge.source].append(edge.target)
                neighbours[edge.target].append(edge.source)

        def position(name: str) -> float:
            row = self.rows[self.boxes[name].row]
            return row.index(name) - (len(row) - 1) / 2

        for sweep in range(6):
            order = range(1, len(self.rows)) if sweep % 2 == 0 else range(len(self.rows) - 2, -1, -1)
            for index in order:
                other = index - 1 if sweep % 2 == 0 else index + 1
                current = {name: position(name) for name in self.rows[index]}

                def barycentre(name: str, other: int = other, current: dict[str, float] = current) -> float:
                    near = [position(n) for n in neighbours[name]
                            if not self.boxes[n].rail and self.boxes[n].row == other]
                    return sum(near) / len(near) if near else current[name]

                self.rows[index].sort(key=lambda n: (barycentre(n), current[n]))

    def _place(self) -> None:
        widest = max(len(row) for row in self.rows)
        self.grid_w = widest * BOX_W + (widest - 1) * H_GAP
        pitch = self.box_h + V_GAP
        for index, row in enumerate(self.rows):
            start = MARGIN_LEFT + (self.grid_w - (len(row) * BOX_W + (len(row) - 1) * H_GAP)) / 2
            for position, name in enumerate(row):
                box = self.boxes[name]
                box.x, box.y = start + position * (BOX_W + H_GAP), MARGIN_TOP + index * pitch
        self.grid_right = MARGIN_LEFT + self.grid_w
        rail = [b for b in self.boxes.values() if b.rail]
        self.rail_x = self.grid_right + RAIL_GAP
        wanted: list[tuple[float, Box]] = []
        for box in rail:
            ys = [self.boxes[e.source].y for e in self.edges if e.target == box.name]
            wanted.append((sum(ys) / len(ys), box))
        bottom: float = MARGIN_TOP - self.box_h
        for y, box in sorted(wanted, key=lambda w: w[0]):
            box.x, box.y = self.rail_x, max(y, bottom + self.box_h + 48)
            bottom = box.y
        right = self.rail_x + BOX_W if rail else self.grid_right + 60
        self.width = right + MARGIN
        self.height = max(b.y for b in self.boxes.values()) + self.box_h + MARGIN + 20

    # --- where the arrows go -----------------------------------------------------------------------------

    def _route(self) -> None:
        sides: dict[tuple[str, str], list[tuple[float, Edge, str]]] = {}

        def attach(box: str, side: str, other_x: float, edge: Edge, end: str) -> None:
            sides.setdefault((box, side), []).append((other_x, edge, end))

        for edge in self.edges:
            source, target = self.boxes[edge.source], self.boxes[edge.target]
            if edge.source == edge.target:
                edge.kind = "loop"
            elif target.rail:
                edge.kind = "rail"
                row = self.rows[source.row]
                if row[-1] != source.name:
                    attach(source.name, "bottom", self.rail_x + 1000, edge, "start")
            elif target.row == source.row:
                row = self.rows[source.row]
                apart = abs(row.index(source.name) - row.index(target.name))
                edge.kind = "side" if apart == 1 else "arc"
                if edge.kind == "arc":
                    attach(source.name, "bottom", target.cx, edge, "start")
                    attach(target.name, "bottom", source.cx, edge, "end")
            elif target.row > source.row:
                edge.kind = "down"
                attach(source.name, "bottom", target.cx, edge, "start")
                attach(target.name, "top", source.cx, edge, "end")
            elif target.row == source.row - 1:
                edge.kind = "up"
                attach(source.name, "top", target.cx, edge, "start")
                attach(target.name, "bottom", source.cx, edge, "end")
            else:
                edge.kind = "far_up"
        for (name, _side), attached in sides.items():
            box = self.boxes[name]
            # Steps down on a side come first from the left, steps back up after them, so pairs stay apart.
            attached.sort(key=lambda a: (a[0], a[1].kind != "down"))
            for index, (_x, edge, end) in enumerate(attached):
                edge.ports[end] = box.x + BOX_W * (index + 1) / (len(attached) + 1)

    # --- drawing -----------------------------------------------------------------------------------------

    def svg(self, highlight: str | None) -> Markup:
        p, language = self.procedure, self.language
        uid = re.sub(r"[^a-z0-9-]", "-", f"fwd-{p.key}-{p.version}")
        title = text(language, "procedure_diagram_title", title=p.title.get(language))
        out: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="procedure-diagram" role="img" '
            f'viewBox="0 0 {self.width:.0f} {self.height:.0f}" width="{self.width:.0f}" height="{self.height:.0f}" '
            f'aria-labelledby="{uid}-title {uid}-desc" font-family="system-ui, sans-serif">',
            f'<title id="{uid}-title">{escape(title)}</title>',
            f'<desc id="{uid}-desc">{escape(self.summary(highlight))}</desc>',
            f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
            f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE_INK}"/></marker>'
            f'</defs>',
        ]
        obstacles = [(b.x - 4, b.y - 4, b.x + BOX_W + 4, b.y + self.box_h + 4) for b in self.boxes.values()]
        labels: list[Label] = []
        if highlight in self.boxes:
            box = self.boxes[highlight]
            obstacles.append((box.x, box.y - 20, box.x + BOX_W, box.y))
        start = self.boxes[p.initial]
        out.append(f'<g class="start"><circle cx="{start.cx:.1f}" cy="{start.y - 34:.1f}" r="7" fill="{INK}"/>'
                   f'<path d="M{start.cx:.1f},{start.y - 27:.1f} L{start.cx:.1f},{start.y:.1f}" stroke="{INK}" '
                   f'stroke-width="1.5" fill="none" marker-end="url(#{uid}-arrow)"/></g>')
        obstacles.append((start.cx - 10, start.y - 44, start.cx + 10, start.y))
        rail_labelled: set[tuple[str, str]] = set()
        for edge in self.edges:
            transition = p.transitions[edge.transition]
            source, target = self.boxes[edge.source], self.boxes[edge.target]
            lines = wrap(transition.label.get(language), EDGE_CHARS, 2)
            d, label = self._path(edge, source, target, lines, obstacles + [lb.bbox() for lb in labels])
            if edge.kind == "rail":
                if (edge.transition, edge.target) in rail_labelled:
                    label = None
                rail_labelled.add((edge.transition, edge.target))
            if label is not None:
                if edge.kind == "side":
                    lines = wrap(transition.label.get(language), SIDE_CHARS, 3)
                placed = Label(label.x, label.y, lines, label.anchor)
                labels.append(placed)
            hover = text(language, "procedure_diagram_edge", transition=transition.label.get(language),
                         source=p.states[edge.source].label.get(language),
                         target=p.states[edge.target].label.get(language),
                         roles=", ".join(text(language, f"role_{r}") for r in transition.roles))
            dash = ' stroke-dasharray="6 4"' if edge.kind in ("up", "far_up") else ""
            out.append(f'<g class="edge edge-{edge.kind}" data-transition="{escape(edge.transition)}" '
                       f'data-from="{escape(edge.source)}" data-to="{escape(edge.target)}">'
                       f'<title>{escape(hover)}</title>'
                       f'<path d="{d}" fill="none" stroke="{EDGE_INK}" stroke-width="1.5"{dash} '
                       f'marker-end="url(#{uid}-arrow)"/></g>')
        for placed in labels:
            out.append(self._text(placed, "edge-label", EDGE_FONT, halo=True))
        for box in self.boxes.values():
            out.append(self._box(box, current=box.name == highlight, language=language))
        out.append("</svg>")
        return Markup("\n".join(out))

    def summary(self, highlight: str | None) -> str:
        p, language = self.procedure, self.language
        ends = [s.label.get(language) for s in p.states.values() if s.terminal]
        parts = [text(language, "procedure_diagram_desc", states=len(p.states), transitions=len(p.transitions),
                      initial=p.states[p.initial].label.get(language), ends=", ".join(ends))]
        if highlight in p.states:
            parts.append(text(language, "procedure_diagram_desc_current",
                              state=p.states[highlight].label.get(language)))
        return " ".join(parts)

    def _box(self, box: Box, *, current: bool, language: str) -> str:
        state = self.procedure.states[box.name]
        stroke, width, fill = (CURRENT_INK, 4, "#fde68a") if current else (INK, 1.5, "#f1f5f9" if box.terminal
                                                                           else "#ffffff")
        parts = [f'<g class="state{" terminal" if box.terminal else ""}{" current" if current else ""}" '
                 f'data-state="{escape(box.name)}"{ARIA_CURRENT if current else ""}>',
                 f'<title>{escape(state.label.get(language))}'
                 f'{escape(" – " + text(language, "procedure_diagram_terminal")) if box.terminal else ""}</title>',
                 f'<rect class="box" x="{box.x:.1f}" y="{box.y:.1f}" width="{BOX_W}" height="{self.box_h}" rx="8" '
                 f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>']
        if box.terminal:  # the classic end-state mark: a second border inside the first
            parts.append(f'<rect x="{box.x + 4:.1f}" y="{box.y + 4:.1f}" width="{BOX_W - 8}" '
                         f'height="{self.box_h - 8}" rx="5" fill="none" stroke="{stroke}" stroke-width="1"/>')
        middle = box.y + self.box_h / 2
        parts.append(self._text(Label(box.cx, middle, box.lines), "state-label", BOX_FONT, bold=current))
        if current:
            mark = Label(box.x + 2, box.y - 10, [text(language, "procedure_diagram_current")], "start")
            parts.append(self._text(mark, "current-mark", EDGE_FONT, halo=True, bold=True, ink=CURRENT_INK))
        parts.append("</g>")
        return "".join(parts)

    @staticmethod
    def _text(label: Label, css: str, size: int, *, halo: bool = False, bold: bool = False,
              ink: str = INK) -> str:
        step = size + 3
        first = label.y - (len(label.lines) - 1) * step / 2 + size * 0.35
        spans = "".join(f'<tspan x="{label.x:.1f}" y="{first + i * step:.1f}">{escape(line)}</tspan>'
                        for i, line in enumerate(label.lines))
        extra = ' stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"' if halo else ""
        weight = ' font-weight="700"' if bold else ""
        return (f'<text class="{css}" text-anchor="{label.anchor}" font-size="{size}" fill="{ink}"'
                f'{weight}{extra}>{spans}</text>')

    def _path(self, edge: Edge, source: Box, target: Box, lines: list[str],
              taken: list[tuple[float, float, float, float]]) -> tuple[str, Label | None]:
        h = self.box_h
        if edge.kind == "loop":
            return self._loop_path(source)
        if edge.kind == "rail":
            return self._rail_path(edge, source, target)
        if edge.kind == "side":
            return self._side_path(edge, source, target)
        if edge.kind == "arc":
            x1, x2, y = edge.ports["start"], edge.ports["end"], source.y + h
            dip = y + 46
            curve = ((x1, y), (x1, dip), (x2, dip), (x2, y))
            return _cubic(curve), self._place_label(curve, lines, taken)
        if edge.kind == "far_up":
            x1, y1 = source.x + BOX_W, source.y + h / 2
            x2, y2 = target.x + BOX_W, target.y + h / 2
            out = max(x1, x2) + 60
            curve = ((x1, y1), (out, y1), (out, y2), (x2, y2))
            return _cubic(curve), Label(out - 12, (y1 + y2) / 2, [], "start")
        if edge.kind == "down":
            x1, y1, x2, y2 = edge.ports["start"], source.y + h, edge.ports["end"], target.y
        else:  # up
            x1, y1, x2, y2 = edge.ports["start"], source.y, edge.ports["end"], target.y + h
        bend = (y2 - y1) / 2
        curve = ((x1, y1), (x1, y1 + bend), (x2, y2 - bend), (x2, y2))
        # A step there and one back between the same two states: the one down on the left, the other on the right.
        paired = any(e.source == edge.target and e.target == edge.source for e in self.edges)
        side = ("left" if edge.kind == "down" else "right") if paired else ""
        return _cubic(curve), self._place_label(curve, lines, taken, side)

    def _loop_path(self, box: Box) -> tuple[str, Label]:
        """A step that stays in its state: a loop at the side of the box that is free."""
        y = box.y + self.box_h / 2
        if self.rows[box.row][0] == box.name:
            x = box.x
            d = f"M{x:.1f},{y - 10:.1f} C{x - 70:.1f},{y - 42:.1f} {x - 70:.1f},{y + 42:.1f} {x:.1f},{y + 10:.1f}"
            return d, Label(x - 58, y, [], "end")
        x = box.x + BOX_W
        d = f"M{x:.1f},{y - 10:.1f} C{x + 70:.1f},{y - 42:.1f} {x + 70:.1f},{y + 42:.1f} {x:.1f},{y + 10:.1f}"
        return d, Label(x + 58, y, [], "start")

    def _side_path(self, edge: Edge, source: Box, target: Box) -> tuple[str, Label]:
        """A step to the neighbour in the row; its label above (to the right) or below (to the left) the line."""
        rightwards = target.x > source.x
        x1 = source.x + BOX_W if rightwards else source.x
        x2 = target.x if rightwards else target.x + BOX_W
        y = source.y + self.box_h / 2 + (-8 if rightwards else 8)
        lines = wrap(self.procedure.transitions[edge.transition].label.get(self.language), SIDE_CHARS, 3)
        shift = len(lines) * (EDGE_FONT + 3) / 2 + 5
        return f"M{x1:.1f},{y:.1f} L{x2:.1f},{y:.1f}", Label((x1 + x2) / 2, y - shift if rightwards else y + shift, [])

    def _rail_path(self, edge: Edge, source: Box, target: Box) -> tuple[str, Label | None]:
        h = self.box_h
        rail = [b.name for b in self.boxes.values() if b.rail]
        bus = self.grid_right + 28 + 18 * rail.index(target.name)
        transitions = sorted({e.transition for e in self.edges if e.target == target.name},
                             key=list(self.procedure.transitions).index)
        entry = target.y + h * (transitions.index(edge.transition) + 1) / (len(transitions) + 1)
        if "start" in edge.ports:  # leave from below, run along the gap under the row, then join the bus
            x, y = edge.ports["start"], source.y + h
            channel = y + 14 + 6 * rail.index(target.name)
            points = [(x, y), (x, channel), (bus, channel), (bus, entry), (target.x, entry)]
        else:
            x, y = source.x + BOX_W, source.y + h / 2 + 8 * rail.index(target.name)
            points = [(x, y), (bus, y), (bus, entry), (target.x, entry)]
        return _rounded(points), Label(target.x - 8, entry - 14, [], "end")

    def _place_label(self, curve: tuple[tuple[float, float], ...], lines: list[str],
                     taken: list[tuple[float, float, float, float]], side: str = "") -> Label:
        """The middle of the curve, or the nearest point along it where the label covers no box or label."""
        best: Label | None = None
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75):
            x, y = _point(curve, t)
            candidates = [Label(x, y, lines), Label(x - 6, y, lines, "end"), Label(x + 6, y, lines, "start")]
            if side == "left":
                candidates = candidates[1:]
            elif side == "right":
                candidates = candidates[2:] + candidates[:2]
            for candidate in candidates:
                if not any(_overlap(candidate.bbox(), other) for other in taken):
                    return candidate
                best = best or candidate
        assert best is not None
        return best


def _cubic(c: tuple[tuple[float, float], ...]) -> str:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = c
    return f"M{x0:.1f},{y0:.1f} C{x1:.1f},{y1:.1f} {x2:.1f},{y2:.1f} {x3:.1f},{y3:.1f}"


def _point(c: tuple[tuple[float, float], ...], t: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = c
    u = 1 - t
    return (u ** 3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t ** 3 * x3,
            u ** 3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t ** 3 * y3)


def _rounded(points: list[tuple[float, float]], radius: float = 8) -> str:
    """A line through the points with rounded corners."""
    d = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (ax, ay), (bx, by), (cx, cy) in zip(points, points[1:], points[2:], strict=False):
        r1 = min(radius, (abs(bx - ax) + abs(by - ay)) / 2)
        r2 = min(radius, (abs(cx - bx) + abs(cy - by)) / 2)
        sx, sy = _toward((bx, by), (ax, ay), r1)
        ex, ey = _toward((bx, by), (cx, cy), r2)
        d.append(f"L{sx:.1f},{sy:.1f} Q{bx:.1f},{by:.1f} {ex:.1f},{ey:.1f}")
    d.append(f"L{points[-1][0]:.1f},{points[-1][1]:.1f}")
    return " ".join(d)


def _toward(a: tuple[float, float], b: tuple[float, float], distance: float) -> tuple[float, float]:
    length = max(abs(b[0] - a[0]) + abs(b[1] - a[1]), 1e-9)
    return a[0] + (b[0] - a[0]) * distance / length, a[1] + (b[1] - a[1]) * distance / length


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def procedure_svg(procedure: Procedure, *, language: str = "de", highlight: str | None = None) -> Markup:
    """An accessible SVG of the procedure's states and transitions; `highlight` marks a proposal's state."""
    return Layout(procedure, language).svg(highlight if highlight in procedure.states else None)
