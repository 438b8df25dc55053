"""Reading HTML forms: every value arrives as text (or not at all), and a form is never trusted to be complete."""

from __future__ import annotations

from starlette.datastructures import FormData

from workflow.procedure.text_fields import multi_line, one_line

MAX_TEXT = 20_000


def form_text(form: FormData, name: str, *, strip: bool = False) -> str:
    """The field's text, '' when it is missing or not text (a file); cut at MAX_TEXT so nothing is unbounded."""
    value = form.get(name)
    text = value[:MAX_TEXT] if isinstance(value, str) else ""
    return text.strip() if strip else text


def form_texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (e.g. one per row of a table), in the order the browser sent them."""
    return [v[:MAX_TEXT] for v in form.getlist(name) if isinstance(v, str)]


def is_one_line(text: str) -> bool:
    """Whether a title or name may be kept (workflow.procedure.text_fields.one_line): no line break, control or bidi
    character; a form shows its own message next to the field when not."""
    try:
        one_line(text)
    except ValueError:
        return False
    return True


def is_clean_text(text: str) -> bool:
    """Whether a text of several lines may be kept (workflow.procedure.text_fields.multi_line): no control or bidi
    character besides line breaks and tabs."""
    try:
        multi_line(text)
    except ValueError:
        return False
    return True
