"""The state diagram as SVG: parses, one box per state and one arrow per step from each state, the current state
marked in words and for assistive technology, labels escaped, the reader's language."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from api.web.diagram import procedure_svg
from workflow.procedure.definition import Procedure, load_procedure, parse_procedure
from workflow.procedure.rules import GUARD_NAMES

SVG = "{http://www.w3.org/2000/svg}"
SHIPPED = sorted((Path(__file__).parents[2] / "workflow" / "procedure" / "shipped").glob("*.toml"))


def _shipped(path: Path) -> Procedure:
    return load_procedure(path, GUARD_NAMES)


def _tree(procedure: Procedure, **kwargs: str) -> ET.Element:
    return ET.fromstring(str(procedure_svg(procedure, **kwargs)))


def _groups(root: ET.Element, css: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if css in (g.get("class") or "").split()]


def _text(element: ET.Element) -> str:
    return " ".join(" ".join(t.itertext()) for t in element.iter(f"{SVG}text"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_state_is_a_box_and_every_step_from_every_state_an_arrow(path: Path) -> None:
    procedure = _shipped(path)
    root = _tree(procedure)
    assert root.get("role") == "img"
    states = _groups(root, "state")
    assert sorted(g.get("data-state") or "" for g in states) == sorted(procedure.states)
    assert all(len(g.findall(f"{SVG}rect")) >= 1 for g in states)
    edges = _groups(root, "edge")
    drawn = sorted((g.get("data-transition"), g.get("data-from"), g.get("data-to")) for g in edges)
    assert drawn == sorted((t.name, s, t.to) for t in procedure.transitions.values() for s in t.sources)
    marker = root.find(f"{SVG}defs/{SVG}marker")
    assert marker is not None
    assert all(g.find(f"{SVG}path") is not None and
               g.find(f"{SVG}path").get("marker-end") == f"url(#{marker.get('id')})" for g in edges)  # type: ignore[union-attr]
    terminal = {g.get("data-state") for g in states if "terminal" in (g.get("class") or "")}
    assert terminal == {name for name, s in procedure.states.items() if s.terminal}
    assert not any(e.get("style") for e in root.iter())  # the pages' CSP forbids style attributes


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_boxes_do_not_overlap_and_stay_inside_the_picture(path: Path) -> None:
    root = _tree(_shipped(path))
    width, height = float(root.get("width") or 0), float(root.get("height") or 0)
    boxes = []
    for g in _groups(root, "state"):
        rect = g.find(f"{SVG}rect")
        assert rect is not None
        x, y, w, h = (float(rect.get(a) or 0) for a in ("x", "y", "width", "height"))
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
        boxes.append((x, y, x + w, y + h))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_the_current_state_is_marked_in_words_and_for_screen_readers() -> None:
    procedure = _shipped(SHIPPED[-1])
    root = _tree(procedure, language="de", highlight="second_reading")
    current = [g for g in _groups(root, "state") if g.get("aria-current") == "true"]
    assert [g.get("data-state") for g in current] == ["second_reading"]
    assert "● aktueller Stand" in _text(current[0])
    rect = current[0].find(f"{SVG}rect")
    assert rect is not None and float(rect.get("stroke-width") or 0) > 2
    others = [g for g in _groups(root, "state") if g.get("data-state") != "second_reading"]
    assert not any("aktueller Stand" in _text(g) for g in others)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Aktueller Stand: Zweite Lesung." in (desc.text or "")
    # An unknown state highlights nothing (and breaks nothing).
    plain = _tree(procedure, highlight="no_such_state")
    assert not any(g.get("aria-current") for g in plain.iter())


def test_english_labels_with_english() -> None:
    procedure = _shipped(SHIPPED[-1])
    english = " ".join(_text(g) for g in _groups(_tree(procedure, language="en", highlight="draft"), "state"))
    assert "Second reading" in english and "Zweite Lesung" not in english and "● current state" in english
    german = " ".join(_text(g) for g in _groups(_tree(procedure, language="de"), "state"))
    assert "Zweite Lesung" in german and "Second reading" not in german
    title = _tree(procedure, language="en").find(f"{SVG}title")
    assert title is not None and (title.text or "").startswith("State diagram:")


def test_labels_from_the_file_are_escaped() -> None:
    source = SHIPPED[0].read_text(encoding="utf-8")
    hostile = source.replace('label = { de = "Entwurf", en = "Draft" }',
                             'label = { de = "<script>alert(1)</script> & Co", en = "<b>Draft</b>" }', 1)
    hostile = hostile.replace('label = { de = "Einreichen"', 'label = { de = "Ein\\"reichen <img src=x>"', 1)
    assert hostile.count("<script>") == 1 and "<img" in hostile
    procedure = parse_procedure(hostile.encode(), "hostile.toml", GUARD_NAMES)
    svg = str(procedure_svg(procedure, language="de", highlight="draft"))
    assert "<script>" not in svg and "<img" not in svg and "<b>" not in str(procedure_svg(procedure, language="en"))
    assert "&lt;script&gt;" in svg
    root = ET.fromstring(svg)  # still well-formed XML
    draft = next(g for g in _groups(root, "state") if g.get("data-state") == "draft")
    title = draft.find(f"{SVG}title")
    assert title is not None and (title.text or "").startswith("<script>alert(1)</script> & Co")  # shown as text
    assert not any(e.tag.endswith("script") for e in root.iter())
