"""A diff as plain text for a steering group: one line per change, in German or English, no field names
where a word says it better."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.versioning.diff import FieldChange, ItemChange, ProcedureDiff

WORDS: dict[str, dict[str, str]] = {
    "de": {
        "title": "{key}: was sich von Version {a} zu Version {b} ändert",
        "none": "Keine Änderungen.",
        "procedure": "Verfahren", "states": "Zustände", "transitions": "Übergänge", "deadlines": "Fristen",
        "added": "neu", "removed": "entfällt", "renamed": "umbenannt", "changed": "geändert",
        "from_to": "{before} → {after}", "plus": "neu: {items}", "minus": "entfällt: {items}",
        "yes": "ja", "no": "nein", "unset": "—",
        "label": "Bezeichnung", "terminal": "Endzustand", "editable": "vom Antragsteller änderbar",
        "alliance_stage": "bei der Allianz", "bank_stage": "bei der Bank", "binds_budget": "bindet Budget",
        "from": "von", "to": "nach", "roles": "Rollen", "guards": "Regeln", "inputs": "Angaben",
        "initial": "Anfangszustand", "scoring_states": "Bewertung in", "scoring": "Bewertungsschema",
        "scope": "Geltung", "due": "fällig", "remind": "Erinnerungen", "remind_at": "Erinnerung um",
        "recipients": "Empfänger", "overdue": "bei Überschreitung", "auto_transition": "automatischer Schritt",
    },
    "en": {
        "title": "{key}: what changes from version {a} to version {b}",
        "none": "No changes.",
        "procedure": "Procedure", "states": "States", "transitions": "Transitions", "deadlines": "Deadlines",
        "added": "added", "removed": "removed", "renamed": "renamed", "changed": "changed",
        "from_to": "{before} → {after}", "plus": "added: {items}", "minus": "removed: {items}",
        "yes": "yes", "no": "no", "unset": "—",
        "label": "label", "terminal": "terminal", "editable": "editable by the applicant",
        "alliance_stage": "with the alliance", "bank_stage": "with the bank", "binds_budget": "binds budget",
        "from": "from", "to": "to", "roles": "roles", "guards": "rules", "inputs": "inputs",
        "initial": "initial state", "scoring_states": "scored in", "scoring": "scoring scheme",
        "scope": "scope", "due": "due", "remind": "reminders", "remind_at": "reminders at",
        "recipients": "recipients", "overdue": "when overdue", "auto_transition": "automatic step",
    },
}
MARKS = {"added": "+", "removed": "-", "renamed": "~", "changed": "~"}


@dataclass(frozen=True)
class Line:
    """One change, and the fields it changed."""

    text: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[Line, ...]


def sections(change: ProcedureDiff, language: str = "de") -> list[Section]:
    """The changes under their headings (procedure, states, transitions, deadlines), as the web page lists them."""
    words = WORDS["en" if language == "en" else "de"]
    found = []
    if change.procedure:
        found.append(Section(words["procedure"], tuple(Line(f"~ {_field(f, words, language)}")
                                                       for f in change.procedure)))
    for section in ("states", "transitions", "deadlines"):
        items: tuple[ItemChange, ...] = getattr(change, section)
        if items:
            found.append(Section(words[section], tuple(_item(item, words, language) for item in items)))
    return found


def title(change: ProcedureDiff, language: str = "de") -> str:
    words = WORDS["en" if language == "en" else "de"]
    return words["title"].format(key=change.key, a=change.from_version, b=change.to_version)


def no_changes(language: str = "de") -> str:
    return WORDS["en" if language == "en" else "de"]["none"]


def readable(change: ProcedureDiff, language: str = "de") -> list[str]:
    """The changes as lines of text, for `foerderweg procedure diff` and the API's `text`."""
    lines = [title(change, language)]
    if change.empty:
        return [*lines, no_changes(language)]
    for section in sections(change, language):
        lines += ["", section.heading]
        for line in section.lines:
            lines += [f"  {line.text}", *(f"      {d}" for d in line.details)]
    return lines


def _item(item: ItemChange, words: dict[str, str], language: str) -> Line:
    label = item.label["en" if language == "en" else "de"]
    name = f"{item.old_name} → {item.name}" if item.old_name else item.name
    return Line(f"{MARKS[item.kind]} {name} ({label}): {words[item.kind]}",
                tuple(_field(f, words, language) for f in item.fields))


def _field(change: FieldChange, words: dict[str, str], language: str) -> str:
    base, _, detail = change.field.partition(".")
    name = words.get(base, base) + (f" '{detail}'" if detail else "")
    if change.added or change.removed:
        parts = []
        if change.added:
            parts.append(words["plus"].format(items=", ".join(change.added)))
        if change.removed:
            parts.append(words["minus"].format(items=", ".join(change.removed)))
        return f"{name}: {'; '.join(parts)}"
    return f"{name}: " + words["from_to"].format(before=_show(change.before, words, language),
                                                  after=_show(change.after, words, language))


def _show(value: Any, words: dict[str, str], language: str) -> str:
    if isinstance(value, bool):
        return words["yes" if value else "no"]
    if value is None:
        return words["unset"]
    if isinstance(value, dict) and set(value) == {"de", "en"}:
        return f"\"{value['en' if language == 'en' else 'de']}\""
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_show(v, words, language)}" for k, v in value.items()) or words["unset"]
    if isinstance(value, list):
        return ", ".join(_show(v, words, language) for v in value) or words["unset"]
    return str(value)
