"""`foerderweg user`: people and their tokens."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from cli.output import Language, console, errors, fail, print_table
from workflow.context import Context, build_context
from workflow.errors import DomainError, InvalidInput
from workflow.people.accounts import MAX_PAGE, MAX_TOKEN_DAYS, Account, IssuedToken
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.proposals import store as repo
from workflow.proposals.visibility import served_alliances
from workflow.timeutil import show, utcnow

app = typer.Typer(help="Users, their API tokens, and disabling them.", no_args_is_help=True)
PERSON_ROLES = [r.value for r in Role if r != Role.SYSTEM]
DAYS_HELP = f"the token stops working after this many days (1-{MAX_TOKEN_DAYS}); without it, when replaced"


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
    token_days: int | None = typer.Option(None, "--token-days", min=1, max=MAX_TOKEN_DAYS, help=DAYS_HELP),
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
        issued = ctx.accounts.issue_token(SYSTEM, user.id, now=utcnow(), days=token_days)
        serves = served_alliances(ctx.admin.actor_for(user.id))
    finally:
        ctx.close()
    if role == Role.BANK.value and not serves:
        console.print("note: no alliance names this organisation as its funding bank yet, so this bank officer sees "
                      "no proposal until one does (PUT /alliances/{id}/funding-bank)")
    console.print(f"user {user.id} '{escape(user.name)}' ({role}) created. Token ({_validity(issued)}; shown "
                  "once, keep it safe):")
    typer.echo(issued.token)


@app.command()
def token(user_id: int,
          days: int | None = typer.Option(None, "--days", min=1, max=MAX_TOKEN_DAYS, help=DAYS_HELP)) -> None:
    """Issue a new token for a user and print it (alone on standard output); the old one stops working and the
    user's browsers are signed out."""
    ctx = build_context()
    try:
        issued = ctx.accounts.issue_token(SYSTEM, user_id, now=utcnow(), days=days)
    finally:
        ctx.close()
    note = "" if issued.account.active else "; the account is disabled: the token works once it is enabled"
    errors.print(f"new token of user {user_id} ({_validity(issued)}){note}; the old one stops working and their "
                 "browsers are signed out", highlight=False, markup=False, soft_wrap=True)
    typer.echo(issued.token)


@app.command()
def disable(user_id: int) -> None:
    """Disable a user: their token and password no longer sign in, their browsers are signed out now.
    `foerderweg user enable` restores both."""
    ctx = build_context()
    try:
        account = ctx.accounts.disable(SYSTEM, user_id, now=utcnow())
    finally:
        ctx.close()
    console.print(f"user {account.id} '{escape(account.name)}' is disabled: their token and password no longer "
                  "sign in, their browsers are signed out", highlight=False, soft_wrap=True)


@app.command()
def enable(user_id: int) -> None:
    """Enable a disabled user again: their token (unless it expired) and password sign in again."""
    ctx = build_context()
    try:
        account = ctx.accounts.enable(SYSTEM, user_id, now=utcnow())
    finally:
        ctx.close()
    expired = " (but their token has expired: `foerderweg user token ID` issues a new one)" if account.token_expired \
        else ""
    console.print(f"user {account.id} '{escape(account.name)}' is enabled{expired}", highlight=False, soft_wrap=True)


@app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json", help="print JSON (one array) instead of a table")) -> None:
    """Every user: role, status, token expiry, password, signed-in browsers. Never a token or a hash."""
    ctx = build_context()
    try:
        now, accounts = utcnow(), list[Account]()
        while True:
            page = ctx.accounts.users(SYSTEM, now=now, after_id=accounts[-1].id if accounts else 0, limit=MAX_PAGE)
            accounts += page
            if len(page) < MAX_PAGE:
                break
        organisations = ctx.admin.organisation_names([a.organisation_id for a in accounts])
        alliances = {a.id: a.name for a, _ in ctx.admin.alliances() if a.id is not None}
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps([account_json(a) for a in accounts], ensure_ascii=False, indent=2))
        return
    table = Table("id", "name", "role", "e-mail", "organisation / alliance", "status", "token", "password",
                  "browsers", title=f"Users ({len(accounts)}), times Europe/Berlin")
    for a in accounts:
        belongs = [organisations.get(a.organisation_id or 0), alliances.get(a.alliance_id or 0)]
        table.add_row(str(a.id), escape(a.name), a.role, escape(a.email or "-"),
                      escape(", ".join(b for b in belongs if b) or "-"),
                      "active" if a.disabled_at is None else f"[bold red]disabled[/] since {show(a.disabled_at)}",
                      _token_cell(a), "yes" if a.has_password else "no", str(a.signed_in_browsers))
    print_table(table)


def account_json(account: Account) -> dict[str, Any]:
    """An account for scripts: times in ISO 8601 (UTC), no token, no hash."""
    fields = {**dataclasses.asdict(account), "active": account.active}
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in fields.items()}


def _token_cell(account: Account) -> str:
    if not account.has_token:
        return "none"
    if account.token_expires_at is None:
        return "no expiry"
    if account.token_expired:
        return f"[bold red]expired[/] {show(account.token_expires_at)}"
    return f"until {show(account.token_expires_at)}"


def _validity(issued: IssuedToken) -> str:
    until = issued.account.token_expires_at
    return "no expiry" if until is None else f"valid until {show(until)}"


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
