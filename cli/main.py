"""Entry point of the `foerderweg` command: groups the sub-commands and turns failures into clear messages."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.exc import OperationalError, ProgrammingError

from cli import clock, db, demo, procedure, proposal, serve, user
from cli.output import fail
from workflow.errors import DomainError
from workflow.procedure.definition import ProcedureError

app = typer.Typer(help="foerderweg: regional funding procedures as data.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
app.add_typer(db.app, name="db")
app.add_typer(procedure.app, name="procedure")
app.add_typer(proposal.app, name="proposal")
app.add_typer(user.app, name="user")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("sweep")(clock.sweep)
app.command("scheduler")(clock.scheduler)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; `argv` is for tests (default: the process's arguments)."""
    try:
        app(args=argv, prog_name="foerderweg")
    except ProcedureError as exc:
        fail(str(exc))
    except DomainError as exc:
        fail(f"{exc.title}: {exc.detail}")
    except (ValidationError, SettingsError) as exc:
        fail(f"configuration is invalid (config.toml or FOERDERWEG_* variables; lists are JSON there, "
             f"e.g. FOERDERWEG_PROCEDURE_DIRS='[\"/etc/foerderweg\"]'):\n{exc}")
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database error: {exc.orig}\n(is the database reachable, and did you run `foerderweg db upgrade`?)")
    sys.exit(0)
