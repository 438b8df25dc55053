#!/usr/bin/env python3
"""The two quickstart commands, for a fresh machine that has nothing but Python >= 3.11:

    python3 dev.py serve   # virtual environment, fresh SQLite database with the Leipzig 2016 demo, the service
    python3 dev.py test    # virtual environment, ruff, mypy and the test suite (one process per core)

Both create `.venv` on first use and reinstall only when pyproject.toml changed. Extra arguments after `test`
go to pytest (e.g. `python3 dev.py test -k demo`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
DEMO_DB = ROOT / "data" / "demo.db"
DEMO_TOKENS = ROOT / "data" / "demo-tokens.env"


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        print(f"foerderweg needs Python 3.11 or newer; this is {sys.version.split()[0]}", file=sys.stderr)
        return 2
    if not argv or argv[0] not in ("serve", "test", "env"):
        print(__doc__, file=sys.stderr)
        return 2
    ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "serve":
        return serve(rest)
    if command == "test":
        return test(rest)
    return 0


def ensure_env() -> None:
    python = BIN / "python"
    if not python.exists():
        print("creating virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed-from"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("installing foerderweg and its development tools into .venv ...", flush=True)
        run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        # bench: so that `python -m bench` (with its SpiffWorkflow peer and chart) runs in the same .venv
        run([str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev,bench]"])
        stamp.write_text(digest)


def serve(args: list[str]) -> int:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    # Plain log lines for the person at the terminal; installations log JSON (the default).
    env = {"FOERDERWEG_LOG_FORMAT": "text", **os.environ, "FOERDERWEG_DATABASE_URL": f"sqlite:///{DEMO_DB}"}
    cli = str(BIN / "foerderweg")
    run([cli, "db", "upgrade"], env=env)
    run([cli, "demo", "--tokens-file", str(DEMO_TOKENS)], env=env)
    print(f"\nserving the demo database {DEMO_DB.relative_to(ROOT)}; stop with Ctrl+C", flush=True)
    return subprocess.call([cli, "serve", *args], env=env, cwd=ROOT)


def test(args: list[str]) -> int:
    lint = "--no-lint" not in args
    args = [a for a in args if a != "--no-lint"]
    if lint:
        run([str(BIN / "ruff"), "check", "."])
        run([str(BIN / "mypy")])
    if not any("no:xdist" in a for a in args):
        # One process per core, unless told otherwise. Tests, not files, are handed out: each process starts with
        # an equal share in the suite's order and, when done, takes half of what another has left, so one large
        # file no longer runs on one core while the others idle. No test relies on another having run in the same
        # process; a module's shared world (tests/api/test_fuzz.py's, the transition sample's) is built once in
        # each process that runs part of the module.
        if not any(a.startswith(("-n", "--numprocesses")) for a in args):
            args = ["-n", "auto", *args]
        if not any(a.startswith(("--dist", "-d")) for a in args):
            args = ["--dist", "worksteal", *args]
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *args], cwd=ROOT)


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
