"""SpiffWorkflow's persisted step rate on the engine bench's path: the peer of issue 8's in-process goal.

    python -m bench.peer.spiff [--proposals N] [--json OUT]

The fair equivalent of our persisted step: for every step, in one SQLite transaction (sqlite3 module, WAL,
synchronous=NORMAL, BEGIN IMMEDIATE as the engine does), load the workflow's row, restore it with SpiffWorkflow's
own serializer, refresh its timers, complete the ready user task with the step's data, run the engine to the next
wait state, serialise it back and write the row (with a version check) plus an audit row. The spec is parsed once;
creating the instances is timed apart, like the engine bench's drafts. The result counts only if every workflow
ended in the `closed` end event, every row is at the final version and every step left an audit row.

Two variants, both run by `main`: the serializer as shipped, which writes the whole spec into every row, and the
spec stored once (bench.peer.spec_once), as services built on SpiffWorkflow do: the peer at its best.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter
from typing import Any

from SpiffWorkflow import TaskState  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser import BpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]

from bench._common import table
from bench.peer.path import BPMN_FILE, END_EVENTS, FINAL_EVENT, PATH, PROCESS_ID, REASON, PeerStep
from bench.peer.spec_once import serializer_with_specs

SCHEMA = """
CREATE TABLE workflows (
    id INTEGER PRIMARY KEY,
    waiting_at TEXT NOT NULL,   -- the ready user task, or the end event reached: what `state` is for us
    version INTEGER NOT NULL,
    serialization TEXT NOT NULL
);
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    workflow_id INTEGER NOT NULL REFERENCES workflows(id),
    seq INTEGER NOT NULL,
    task TEXT NOT NULL,
    lane TEXT,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (workflow_id, seq)
);
"""


class PeerRunError(Exception):
    """The peer benchmark could not run as defined, or its result is wrong."""


class Peer:
    """The parsed spec, the serializer and the database: what a SpiffWorkflow service keeps between requests."""

    def __init__(self, database: Path, *, spec_once: bool) -> None:
        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        self.spec = parser.get_spec(PROCESS_ID)
        self.serializer = serializer_with_specs({self.spec.name: self.spec}) if spec_once else BpmnWorkflowSerializer()
        # isolation_level=None: we open the transactions ourselves, with BEGIN IMMEDIATE.
        self.db = sqlite3.connect(database, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def create(self) -> int:
        workflow = BpmnWorkflow(self.spec)
        workflow.do_engine_steps()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO workflows (waiting_at, version, serialization) VALUES (?, 1, ?)",
                (waiting_at(workflow), self.serializer.serialize_json(workflow)))
        if cursor.lastrowid is None:
            raise PeerRunError("INSERT INTO workflows returned no id")
        return cursor.lastrowid

    def step(self, workflow_id: int, step: PeerStep) -> None:
        with self.transaction():
            row = self.db.execute("SELECT serialization, version FROM workflows WHERE id = ?",
                                  (workflow_id,)).fetchone()
            if row is None:
                raise PeerRunError(f"workflow {workflow_id} is not in the database")
            serialization, version = row
            workflow = self.serializer.deserialize_json(serialization)
            workflow.refresh_timers()
            task = ready_user_task(workflow, workflow_id, step)
            task.set_data(**step.data)
            task.run()
            workflow.do_engine_steps()
            to_state = waiting_at(workflow)
            updated = self.db.execute(
                "UPDATE workflows SET waiting_at = ?, version = ?, serialization = ? WHERE id = ? AND version = ?",
                (to_state, version + 1, self.serializer.serialize_json(workflow), workflow_id, version))
            if updated.rowcount != 1:
                raise PeerRunError(f"workflow {workflow_id} changed underneath step '{step.transition}'")
            self.db.execute(
                "INSERT INTO audit_events (workflow_id, seq, task, lane, to_state, reason, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (workflow_id, version, step.task, task.task_spec.lane, to_state, REASON, json.dumps(step.data)))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def ready_user_task(workflow: Any, workflow_id: int, step: PeerStep) -> Any:
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if len(ready) != 1 or ready[0].task_spec.name != step.task:
        names = ", ".join(t.task_spec.name for t in ready) or "none"
        raise PeerRunError(f"workflow {workflow_id}, step '{step.transition}': expected the user task "
                           f"'{step.task}' to be ready, found {names}")
    return ready[0]


def waiting_at(workflow: Any) -> str:
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if ready:
        return str(ready[0].task_spec.name)
    if workflow.is_completed():
        ends = [t.task_spec.name for t in workflow.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.name in END_EVENTS]
        return str(ends[-1]) if ends else "completed"
    return "stuck"


# --- checking ---------------------------------------------------------------------------------------------

def verify(peer: Peer, proposals: int) -> list[str]:
    problems = []
    final_version = 1 + len(PATH)
    rows = peer.db.execute("SELECT id, waiting_at, version, serialization FROM workflows").fetchall()
    if len(rows) != proposals:
        problems.append(f"{len(rows)} workflows in the database, expected {proposals}")
    not_completed = sum(1 for *_, serialization in rows
                        if not peer.serializer.deserialize_json(serialization).is_completed())
    if not_completed:
        problems.append(f"{not_completed} workflows are not completed")
    not_closed = sum(1 for _, where, version, _ in rows if where != FINAL_EVENT or version != final_version)
    if not_closed:
        problems.append(f"{not_closed} workflows did not end in '{FINAL_EVENT}' at version {final_version}")
    (audit_rows,) = peer.db.execute("SELECT count(*) FROM audit_events").fetchone()
    if audit_rows != proposals * len(PATH):
        problems.append(f"{audit_rows} audit rows, expected {proposals * len(PATH)}")
    return problems


# --- the run ----------------------------------------------------------------------------------------------

def persisted_steps(folder: Path, *, proposals: int, spec_once: bool = False) -> dict[str, Any]:
    """Drive `proposals` workflows through PATH, one persisted step at a time, in a fresh database in `folder`.

    spec_once=False: SpiffWorkflow's serializer out of the box (the spec in every row); True: the spec kept once
    (bench.peer.spec_once), the peer at its best.
    """
    if proposals < 1:
        raise PeerRunError("proposals must be at least 1")
    database = folder / "spiff-peer.db"
    if database.exists():
        raise PeerRunError(f"{database} exists; the peer benchmark needs a fresh database file")
    peer = Peer(database, spec_once=spec_once)
    try:
        started = perf_counter()
        ids = [peer.create() for _ in range(proposals)]
        creations_seconds = perf_counter() - started
        started = perf_counter()
        for workflow_id in ids:
            for step in PATH:
                peer.step(workflow_id, step)
        seconds = perf_counter() - started
        problems = verify(peer, proposals)
        (json_bytes,) = peer.db.execute("SELECT avg(length(serialization)) FROM workflows").fetchone()
    finally:
        peer.close()
    if problems:
        raise PeerRunError("verification failed: " + "; ".join(problems))
    steps = proposals * len(PATH)
    return {
        "peer": "SpiffWorkflow", "spec_once": spec_once, "proposals": proposals, "steps_per_proposal": len(PATH),
        "steps": steps,
        "seconds": seconds, "per_second": steps / seconds, "per_step_us": seconds / steps * 1e6,
        "creations_seconds": creations_seconds, "final_json_bytes": int(json_bytes),
    }


VARIANTS = {False: "spec in every row (serializer as shipped)", True: "spec stored once (bench.peer.spec_once)"}


def report(runs: Sequence[dict[str, Any]]) -> str:
    first = runs[0]
    rows = [
        ("peer", f"SpiffWorkflow, {BPMN_FILE.name}, {first['steps_per_proposal']} user tasks per proposal"),
        ("proposals", f"{first['proposals']:,}"),
    ]
    for figures in runs:
        rows += [
            (VARIANTS[figures["spec_once"]], ""),
            ("  instances created", f"{figures['creations_seconds']:,.2f} s"),
            ("  persisted steps", f"{figures['steps']:,} in {figures['seconds']:,.2f} s  ->  "
                                  f"{figures['per_second']:,.0f} steps/s, {figures['per_step_us']:,.0f} µs/step"),
            ("  workflow JSON at end", f"{figures['final_json_bytes']:,} bytes"),
            ("  verified", "yes"),
        ]
    return table(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer.spiff",
                                     description="SpiffWorkflow's persisted step rate on the engine bench's path.")
    parser.add_argument("--proposals", type=int, default=200, help="workflows to drive (default 200)")
    parser.add_argument("--json", type=Path, help="also write the figures of both variants as JSON to this file")
    args = parser.parse_args(argv)
    try:
        runs = []
        for spec_once in VARIANTS:
            with tempfile.TemporaryDirectory(prefix="foerderweg-spiff-") as folder:
                runs.append(persisted_steps(Path(folder), proposals=args.proposals, spec_once=spec_once))
    except PeerRunError as exc:
        print(f"bench.peer.spiff failed: {exc}", file=sys.stderr)
        return 1
    print(report(runs))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
