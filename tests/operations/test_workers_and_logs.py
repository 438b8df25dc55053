"""`foerderweg serve` as operators run it: JSON log lines that carry the request id the audit row carries, and
`--workers N` processes whose counters /metrics sums, with the clock as one child process, all stopped by SIGTERM.
"""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import httpx2 as httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_races import in_review, stage
from tests.serving import serve
from workflow.context import Context


def log_lines(text: str) -> list[dict[str, object]]:
    """Every line the server wrote, each of which must be one JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def counter(text: str, name: str, **labels: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_each_answer_is_one_json_log_line_with_the_request_id_of_its_audit_row(
    ctx: Context, database_url: str, tmp_path: Path
) -> None:
    stage_ = stage(ctx, 1)
    proposal_id, version = in_review(ctx, stage_, "Antrag mit Spur")
    _, token = stage_.managers[0]
    with serve(database_url, tmp_path, args=["--no-scheduler"], env={"FOERDERWEG_LOG_FORMAT": "json"}) as (server,):
        headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42", "If-Match": f'"{version}"'}
        answer = httpx.post(f"{server.url}/proposals/{proposal_id}/transitions", headers=headers,
                            json={"transition": "prioritise"}, timeout=10)
        assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "trace-42"
        missing = httpx.get(f"{server.url}/proposals/987654", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
        assert missing.status_code == 404
        generated = missing.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
    # Read once the server has stopped: the access line is written after the answer has gone out, so a read while
    # it runs can come before the last line.
    lines = log_lines(server.log())

    access = {line["request_id"]: line for line in lines if line["logger"] == "foerderweg.access"}
    step = access["trace-42"]
    assert (step["method"], step["route"], step["path"], step["status"]) == (
        "POST", "/proposals/{proposal_id}/transitions", f"/proposals/{proposal_id}/transitions", 200)
    assert isinstance(step["duration_ms"], float) and step["level"] == "INFO"
    assert str(step["time"]).endswith("+00:00")
    assert access[generated]["status"] == 404
    assert all(line["request_id"] == "-" for line in lines if line["logger"] == "uvicorn.error")

    [last] = ctx.proposals.history(stage_.admin, proposal_id)[-1:]
    assert (last.transition, last.request_id) == ("prioritise", "trace-42")


def test_several_workers_share_the_port_and_metrics_sums_them_and_sigterm_stops_all(
    ctx: Context, database_url: str, tmp_path: Path
) -> None:
    stage_ = stage(ctx, 1)
    proposal_id, version = in_review(ctx, stage_, "Antrag für viele Prozesse")
    _, token = stage_.managers[0]
    auth = {"Authorization": f"Bearer {token}"}
    with serve(database_url, tmp_path, args=["--workers", "2"]) as (server,):
        assert server.process is not None
        parent = server.process.pid
        reads = 20
        for _ in range(reads):  # a new connection each time, so the kernel may hand it to either worker
            assert httpx.get(f"{server.url}/proposals/{proposal_id}", headers=auth, timeout=10).status_code == 200
        step = httpx.post(f"{server.url}/proposals/{proposal_id}/transitions", json={"transition": "prioritise"},
                          headers={**auth, "If-Match": f'"{version}"'}, timeout=10)
        assert step.status_code == 200

        # The clock runs in its own child; its first ticks run at once and are counted in the shared folder.
        # A request is counted after its answer has gone out, so the last read may be counted a moment later too.
        until = time.monotonic() + 30
        while True:
            scraped = httpx.get(f"{server.url}/metrics", timeout=10).text
            if (counter(scraped, "foerderweg_tick_duration_seconds_count", tick="sweep-deadlines") >= 1
                    and counter(scraped, "foerderweg_http_requests_total", route="/proposals/{proposal_id}",
                                status="200") >= reads):
                break
            assert time.monotonic() < until, f"the clock's ticks never showed in /metrics:\n{server.log()}"
            time.sleep(0.2)
        for _ in range(4):  # whichever worker answers the scrape, it reports every worker's requests
            scraped = httpx.get(f"{server.url}/metrics", timeout=10).text
            assert counter(scraped, "foerderweg_http_requests_total", route="/proposals/{proposal_id}",
                           status="200") == reads
            assert counter(scraped, "foerderweg_transitions_total", transition="prioritise") == 1

        workers = {line["pid"] for line in log_lines(server.log())
                   if str(line["message"]).startswith("Started server process")}
        assert len(workers) == 2 and parent not in workers
        children = children_of(parent)
        assert workers <= children and len(children) >= 3  # two workers and the clock

        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0, server.log()
        until = time.monotonic() + 10
        while any(alive(pid) for pid in children):
            assert time.monotonic() < until, f"child processes outlived the service: {children}"
            time.sleep(0.1)
        log = server.log()
    assert "scheduler stopped" in log and "Traceback" not in log, log
