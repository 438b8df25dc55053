"""The pages ask the engine what a viewer may do; they never work it out from the viewer's role (issue 23, point 4).

"Who may do what here" has one home, the services in workflow/ (review/access.py, people/desks.py,
proposals/permissions.py, the scoring service's review part). A page module under api/web/pages/ or a template
under api/web/templates/ that reads an actor's role, names a role constant, compares a role or imports the
engine's role tuples decides a right on its own, and this test fails on it, unless the line is a justified
exception below. An exception that no longer occurs fails too, so the list only shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "api" / "web"

PATTERNS = {
    "a role constant": re.compile(r"\bRole\.[A-Z]"),
    "an actor's role": re.compile(r"\.role\b"),
    "a role compared": re.compile(r"\brole\s*(==|!=|\bin\b|\bnot\s+in\b)"),
    "the engine's role tuples": re.compile(r"\b(OPERATORS|STEERING|BANK_DESK)\b"),
}

# (file under api/web, the line's text stripped) -> why it may name a role.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("pages/signin.py",
     'target = HOME_BY_ROLE.get(signed_in.actor.role.value, "/app/procedures") if signed_in else "/app"'):
        "where a person lands after signing in; no right: the page they land on asks the engine again",
    ("pages/signin.py",
     'return RedirectResponse(HOME_BY_ROLE.get(signed_in.actor.role.value, "/app/procedures"), status_code=303)'):
        "the same landing page, for someone already signed in",
    ("templates/base.html",
     '<span class="who">{{ t("signed_in_as", name=viewer.actor.name, role=t("role_" ~ viewer.actor.role.value)) }}'
     '</span>'):
        "shows the viewer's role by name in the header",
    ("templates/proposal/page.html",
     '<p>{{ h.who }} ({{ h.role }}){% if h.changed and h["from"] %}: {{ h["from"] }} → {{ h.to }}'
     '{% elif not h["from"] %}: {{ h.to }}{% endif %}</p>'):
        "the timeline names the role each step was taken in (a history row's text, not the viewer's)",
}


def findings(text: str) -> list[tuple[str, str]]:
    """Each line of `text` that decides by role, stripped, with what it does."""
    found = []
    for line in text.splitlines():
        for what, pattern in PATTERNS.items():
            if pattern.search(line):
                found.append((line.strip(), what))
                break
    return found


def scanned() -> dict[str, str]:
    """The page modules and templates, by their path under api/web."""
    files = [*(WEB / "pages").glob("*.py"), *(WEB / "templates").rglob("*.html")]
    return {f.relative_to(WEB).as_posix(): f.read_text(encoding="utf-8") for f in sorted(files)}


def all_findings() -> dict[tuple[str, str], str]:
    return {(name, line): what for name, text in scanned().items() for line, what in findings(text)}


def test_no_page_or_template_decides_by_role() -> None:
    unjustified = [f"{name}: {line}  ({what})" for (name, line), what in all_findings().items()
                   if (name, line) not in EXCEPTIONS]
    assert not unjustified, ("a page decides by role; ask the engine (workflow/people/desks.py, "
                             "workflow/review/access.py, workflow/proposals/permissions.py) instead:\n"
                             + "\n".join(unjustified))


def test_every_exception_still_occurs() -> None:
    found = all_findings()
    stale = [f"{name}: {line}" for name, line in EXCEPTIONS if (name, line) not in found]
    assert not stale, "exceptions that no longer occur; remove them:\n" + "\n".join(stale)


@pytest.mark.parametrize("line", [
    # What the proposal page, the bank desk, the rounds and the applicant's list did before they asked the engine.
    "plan_problems=plan_problems, answering=actor.role == Role.APPLICANT and view.editable,",
    "BANK_DESK = (Role.BANK, Role.MANAGER, *OPERATORS)",
    "rounds = ctx.admin.rounds(None if actor.role in OPERATORS else actor.alliance_id)",
    "if viewer.actor.role != Role.APPLICANT or viewer.actor.organisation_id is None:",
    '{% if role in ("bank", "manager", "admin") %}<li><a href="/app/bank">{{ t("nav_bank") }}</a></li>{% endif %}',
    "from workflow.review.access import OPERATORS, in_alliance",
])
def test_the_old_pages_would_fail(line: str) -> None:
    assert findings(line)


def test_what_a_page_may_say_passes() -> None:
    assert not findings("actions = proposal_actions(actor, view, conditions)")
    assert not findings("{% if desks.bank %}<li>{{ t('nav_bank') }}</li>{% endif %}")
    assert not findings('<td>{% for r in tr.roles %}{{ t("role_" ~ r) }}{% endfor %}</td>')
