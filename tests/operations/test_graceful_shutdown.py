"""SIGTERM (what systemd, Kubernetes and `docker stop` send) lets work that has begun finish, then exits cleanly.

A request whose headers have arrived is answered and recorded; new connections are refused meanwhile. A clock
whose tick is handing a mail to a slow mail server finishes that delivery (and records it as sent) before the
process ends, instead of leaving a claimed row for the next instance to take over after its lease.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest

from schedules.channels.email import message_id
from tests.api.test_races import in_review, stage
from tests.schedules.conftest import REVISION_REMINDED, Crew, in_revision, outbox, process_env
from tests.schedules.loopback import SmtpServer
from tests.serving import REPO, free_port, serve
from workflow.context import Context


def wait_for(condition: object, what: str, seconds: float = 20) -> None:
    """Poll a process's visible state (not a deadline of the product): a log line, an open port."""
    until = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < until, f"timed out waiting for {what}"
        time.sleep(0.05)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_a_request_in_flight_at_sigterm_is_answered_and_recorded_and_new_ones_are_refused(
    ctx: Context, database_url: str, tmp_path: Path
) -> None:
    stage_ = stage(ctx, 1)
    proposal_id, version = in_review(ctx, stage_, "Antrag im Flug")
    _, token = stage_.managers[0]
    body = json.dumps({"transition": "prioritise"}).encode()
    with serve(database_url, tmp_path, args=["--no-scheduler"]) as (server,):
        assert server.process is not None
        address = urlsplit(server.url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        sock = socket.create_connection((host, port), timeout=30)
        sock.sendall((f"POST /proposals/{proposal_id}/transitions HTTP/1.1\r\nHost: {host}:{port}\r\n"
                      f"Authorization: Bearer {token}\r\nIf-Match: \"{version}\"\r\nX-Request-ID: in-flight-4711\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
                     .encode() + body[:5])
        time.sleep(0.5)  # let the server read the headers: from then on the request is in flight

        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: "Waiting for connections to close" in server.log(), "the server to wait for our request")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/health", timeout=2)  # no new requests while shutting down

        sock.sendall(body[5:])
        status, headers, answer = read_response(sock)
        sock.close()
        assert status == 200, answer
        assert headers["x-request-id"] == "in-flight-4711"
        assert json.loads(answer)["state"] == "prioritised"
        assert server.process.wait(timeout=30) == 0, server.log()

    [last] = ctx.proposals.history(stage_.admin, proposal_id)[-1:]
    assert (last.transition, last.to_state, last.request_id) == ("prioritise", "prioritised", "in-flight-4711")


def test_the_clock_finishes_a_delivery_under_way_before_it_stops(
    mail_ctx: Context, crew: Crew, smtp: SmtpServer, database_url: str, tmp_path: Path
) -> None:
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk Leipzig")
    mail_ctx.sweeper.sweep(REVISION_REMINDED)  # two reminders, long due by the wall clock
    due = outbox(mail_ctx, channel="email")
    assert len(due) == 2 and all(r.status == "pending" for r in due)

    holding = smtp.hold()
    metrics_port = free_port()
    log_path = tmp_path / "scheduler.log"
    env = process_env(database_url, smtp.port, FOERDERWEG_LOG_LEVEL="info", FOERDERWEG_SMTP__TIMEOUT_SECONDS="120",
                      # only the mails already in the outbox: no sweep writes more during the test
                      FOERDERWEG_SCHEDULER__SWEEP_EVERY_SECONDS="3600")
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "cli", "scheduler", "--metrics-port", str(metrics_port)],
                                   cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(holding.is_set, "the first mail to reach the mail server")
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert 'foerderweg_tick_duration_seconds_count{tick="close-rounds"}' in scraped

        process.send_signal(signal.SIGTERM)
        wait_for(lambda: "scheduler stopping" in log_path.read_text(), "the scheduler to begin stopping")
        assert process.poll() is None, "the scheduler ended while a mail was being handed over"
        assert outbox(mail_ctx, channel="email")[0].status == "sending"

        smtp.release()
        assert process.wait(timeout=60) == 0, log_path.read_text()
    finally:
        smtp.release()
        if process.poll() is None:
            process.kill()
            process.wait()

    written = log_path.read_text()
    assert "scheduler stopped" in written and "Traceback" not in written, written
    # The clock's first sweep may have written escalations meanwhile (they wait for the next run); what matters:
    # the mails under way were sent and recorded, and no row is left claimed by the stopped process.
    rows = {r.id: r for r in outbox(mail_ctx, channel="email")}
    assert [rows[r.id].status for r in due] == ["sent", "sent"]
    assert not [r for r in rows.values() if r.status == "sending"]
    reminders = [m for m in smtp.mails if m.message_id in {message_id(r.key) for r in due}]
    assert sorted(m.recipients for m in reminders) == sorted([(crew.anna.email,), (crew.ben.email,)])
    assert set(smtp.message_ids().values()) == {1}

