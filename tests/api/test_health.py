"""GET /health and the error contract of the HTTP service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import make_context
from workflow.migrate import head_revision


def test_health_reports_database_and_schema(database_url: str) -> None:
    ctx = make_context(database_url)
    with TestClient(create_app(ctx)) as client:
        response = client.get("/health")
    ctx.close()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["schema"] == head_revision(ctx.db)
    assert "saxony-regional@1" in body["procedures"]


def test_health_is_503_with_a_reason_when_the_schema_is_missing(tmp_path: Path) -> None:
    ctx = make_context(f"sqlite:///{tmp_path}/empty.db")
    with TestClient(create_app(ctx)) as client:
        response = client.get("/health")
    ctx.close()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "foerderweg db upgrade" in response.json()["detail"]


def test_unknown_paths_are_problem_json(database_url: str) -> None:
    ctx = make_context(database_url)
    with TestClient(create_app(ctx)) as client:
        response = client.get("/nowhere")
    ctx.close()
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_foerderweg_serve_answers_on_loopback(database_url: str) -> None:
    """The README's serve command, as a real process on a real port."""
    port = _free_port()
    env = {**os.environ, "FOERDERWEG_DATABASE_URL": database_url}
    command = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else "server exited"
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.1)  # polling a starting process, not waiting for a deadline
        assert response.status_code == 200 and response.json()["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=15)
