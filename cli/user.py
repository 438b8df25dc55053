"""`foerderweg user`: people and their tokens."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from cli.output import Language, console, fail
from workflow import models
from workflow import repository as repo
from workflow.actors import SYSTEM
from workflow.context import Context, build_context
from workflow.errors import DomainError, InvalidInput
from workflow.roles import Role
from workflow.visibility import served_alliances

app = typer.Typer(help="Users and their API tokens.", no_args_is_help=True)
PERSON_ROLES = [r.value for r in Role if r != Role.SYSTEM]


def _organisation(ctx: Context, name_or_id: str) -> int:
    """An organisation by id or exact name; a new name creates it (organisations are just names)."""
    with ctx.db.read() as session:
        found = (repo.get(session, models.Organisation, int(name_or_id)) if name_or_id.isdigit()
                 else repo.find_by_name(session, models.Organisation, name_or_id))
    if found is not None and found.id is not None:
        return found.id
    if name_or_id.isdigit():
        fail(f"no organisation with id {name_or_id}")
    created = ctx.admin.create_organisation(SYSTEM, name_or_id)
    console.print(f"created organisation '{escape(created.name)}' (id {created.id})")
    assert created.id is not None
    return created.id


def _alliance(ctx: Context, name_or_id: str) -> int:
    with ctx.db.read() as session:
        found = (repo.get(session, models.Alliance, int(name_or_id)) if name_or_id.isdigit()
                 else repo.find_by_name(session, models.Alliance, name_or_id))
    if found is None or found.id is None:
        fail(f"no alliance '{name_or_id}' (create it with POST /alliances, or `foerderweg demo`)")
    return found.id


@app.command()
def add(
    name: str = typer.Option(..., "--name", help="the person's name, as it appears in the history"),
    role: str = typer.Option(..., "--role", help=" | ".join(PERSON_ROLES)),
    org: str = typer.Option(None, "--org", help="organisation name or id (applicants; a bank officer's bank, the "
                                                "funding bank an alliance names); a new name is created"),
    alliance: str = typer.Option(None, "--alliance", help="alliance name or id (reviewers and managers)"),
    email: str = typer.Option(None, "--email"),
    lang: Language = typer.Option(Language.de, "--lang", help="language of labels in answers and messages"),
) -> None:
    """Create a user and print their API token (shown once; only a hash is stored)."""
    if role not in PERSON_ROLES:
        fail(f"unknown role '{role}'; one of: {', '.join(PERSON_ROLES)}")
    if role == Role.BANK.value and not org:
        fail("a bank officer belongs to their bank: give --org with the funding bank's name, e.g. "
             "--org 'Sächsische Aufbaubank'; they see the proposals of the alliances that name it as funding bank")
    ctx = build_context()
    try:
        user = ctx.admin.create_user(
            SYSTEM, name, Role(role), organisation_id=_organisation(ctx, org) if org else None,
            alliance_id=_alliance(ctx, alliance) if alliance else None, email=email, language=lang.value)
        assert user.id is not None
        token = ctx.admin.issue_token(SYSTEM, user.id)
        serves = served_alliances(ctx.admin.actor_for(user.id))
    finally:
        ctx.close()
    if role == Role.BANK.value and not serves:
        console.print("note: no alliance names this organisation as its funding bank yet, so this bank officer sees "
                      "no proposal until one does (PUT /alliances/{id}/funding-bank)")
    console.print(f"user {user.id} '{escape(user.name)}' ({role}) created. Token (shown once, keep it safe):")
    typer.echo(token)


@app.command()
def token(user_id: int) -> None:
    """Issue a new token for a user; the old one stops working."""
    ctx = build_context()
    try:
        new = ctx.admin.issue_token(SYSTEM, user_id)
    finally:
        ctx.close()
    typer.echo(new)


@app.command()
def password(
    user_id: int,
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="read the password from standard input (for scripts) instead of asking"),
) -> None:
    """Set a user's password for the web pages (sign-in with their e-mail); their browsers are signed out."""
    secret = (sys.stdin.readline().rstrip("\n") if password_stdin
              else typer.prompt("new password", hide_input=True, confirmation_prompt=True))
    ctx = build_context()
    try:
        ctx.signin.set_password(SYSTEM, user_id, secret)
    except DomainError as exc:
        fail(escape(_problems(exc)))
    finally:
        ctx.close()
    console.print(f"password of user {user_id} set; sign in at {ctx.settings.public_url}/app with their e-mail")


def _problems(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput):
        return "; ".join(f"{p.field}: {p.problem}" for p in exc.problems)
    return exc.detail
