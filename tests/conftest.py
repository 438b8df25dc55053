"""Real databases for every test: a migrated SQLite file per test by default, PostgreSQL when
FOERDERWEG_TEST_DATABASE_URL is set (migrated once per run, emptied between tests)."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from workflow.context import Context, build_context
from workflow.persistence import migrate
from workflow.persistence.db import Database
from workflow.procedure.registry import ProcedureRegistry
from workflow.settings import Settings

pytest_plugins = ["tests.summary_lines"]

PG_URL = os.environ.get("FOERDERWEG_TEST_DATABASE_URL")
# A PostgreSQL installation must set the key that seals webhook secrets (one for every instance); the PostgreSQL
# pass sets one for its contexts and the processes it starts (tests.secret_key_env). SQLite makes a key file.
TEST_SECRET_KEY = "j4xpoxQAX-vwNLNgwe4jcWOOqTHpQoDZpXQvNlQk7bk="
if PG_URL:
    os.environ.setdefault("FOERDERWEG_SECRET_KEY", TEST_SECRET_KEY)


def secret_key_env() -> dict[str, str]:
    """The key for a process the tests start with an environment of their own (empty on SQLite)."""
    key = os.environ.get("FOERDERWEG_SECRET_KEY")
    return {"FOERDERWEG_SECRET_KEY": key} if key else {}
# CI's PostgreSQL pass sets this: then a run without PostgreSQL, or with any test skipped, fails instead of passing.
REQUIRE_POSTGRES = os.environ.get("FOERDERWEG_TEST_REQUIRE_POSTGRES") == "1"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Printed even with -q: CI greps it to prove which database the pass ran on.
    terminalreporter.write_line(f"database under test: {'postgresql' if PG_URL else 'sqlite (a file per test)'}")


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not (PG_URL or "").startswith("postgresql"):
        raise pytest.UsageError("FOERDERWEG_TEST_REQUIRE_POSTGRES=1 but FOERDERWEG_TEST_DATABASE_URL names no "
                                "PostgreSQL database: the PostgreSQL pass would silently test SQLite")


def _refuse_shared_node_ids(nodeids: Iterable[str]) -> None:
    # pytest-xdist tells tests apart by node id: of tests sharing one it runs only the first, and passes.
    shared = sorted(nodeid for nodeid, count in Counter(nodeids).items() if count > 1)
    if shared:
        pytest.exit(f"{len(shared)} node id(s) shared by several tests, e.g. {shared[0]!r}: pytest-xdist would run "
                    "only one of each", returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Under pytest-xdist the controller judges what its workers collected (below): a worker that stopped here
    # would only be restarted, again and again.
    if "PYTEST_XDIST_WORKER" not in os.environ:
        _refuse_shared_node_ids(item.nodeid for item in items)
    # Deselected, not skipped: the PostgreSQL pass fails on any skip, and running a test's own SQLite files a
    # second time there would test nothing new.
    if PG_URL:
        own_files = [item for item in items if item.get_closest_marker("own_sqlite_files")]
        if own_files:
            config.hook.pytest_deselected(items=own_files)
            items[:] = [item for item in items if item not in own_files]
    # The tests that start processes first (a stable sort keeps each module's order): started last, one of them
    # would run alone at the end of a pass while the other process sits idle.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    _refuse_shared_node_ids(ids)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if REQUIRE_POSTGRES and skipped:
        print(f"\n{skipped} test(s) skipped on the PostgreSQL pass: every test must run there", flush=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _reset_postgres(url: str) -> None:
    # The suite drops the whole schema: refuse anything that does not say it is a test database.
    name = sa.engine.make_url(url).database or ""
    if "test" not in name:
        pytest.exit(f"FOERDERWEG_TEST_DATABASE_URL names database '{name}'; the tests empty it, so its name must "
                    "contain 'test'", returncode=2)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
        # Commits then wait for no disk flush (0.8 ms each here). Only a crash of PostgreSQL itself or of the
        # machine could lose the last ones, which a test database may; a killed foerderweg process (the crash
        # tests) still loses nothing committed. Applies to connections opened later.
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    engine.dispose()


def _empty_postgres(database: Database) -> None:
    """Every table emptied and every sequence restarted, as TRUNCATE … RESTART IDENTITY would leave them.

    A test's few rows are deleted: TRUNCATE replaces each table's files and took 35–115 ms per test, DELETE takes
    3–8 ms. Without the triggers (the foreign keys' and the audit trail's guard) the order does not matter; only a
    superuser may switch them off, so any other role gets TRUNCATE.
    """
    with database.engine.begin() as conn:
        tables = [r[0] for r in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        if not tables:
            return
        if conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("; ".join(f"DELETE FROM {table}" for table in tables))
            conn.exec_driver_sql("SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
                                 "JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'public'")
        else:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


DUPLICATE_DATABASE = "42P04"


def _database_of_this_worker(url: str) -> str:
    """The PostgreSQL database this test process uses: the named one, or under pytest-xdist one per worker beside
    it (foerderweg_test_gw0, …), made on first use, because every test empties the database it runs on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).scalar() is None:
            try:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            except sa.exc.ProgrammingError as error:  # another run made it in the meantime
                if getattr(error.orig, "sqlstate", None) != DUPLICATE_DATABASE:
                    raise
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the newest schema: a SQLite file to copy, or the PostgreSQL URL itself."""
    if PG_URL:
        url = _database_of_this_worker(PG_URL)
        _reset_postgres(url)
        database = Database(url)
        migrate.upgrade(database)
        database.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return str(path)


def fresh_database_url(template: str, folder: Path) -> str:
    if PG_URL:
        database = Database(template)
        _empty_postgres(database)
        database.dispose()
        return template
    target = folder / "foerderweg.db"
    shutil.copyfile(template, target)
    target.chmod(0o600)  # as foerderweg makes its files
    return f"sqlite:///{target}"


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    return fresh_database_url(migrated_template, tmp_path)


@pytest.fixture(scope="session")
def procedures() -> ProcedureRegistry:
    return ProcedureRegistry.from_dirs()


def make_context(url: str) -> Context:
    return build_context(Settings(database_url=url))


@pytest.fixture
def ctx(database_url: str) -> Iterator[Context]:
    context = make_context(database_url)
    yield context
    context.close()
