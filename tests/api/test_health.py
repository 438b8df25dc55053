"""GET /health and the error contract of the HTTP service."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import make_context
from tests.serving import serve
from workflow.persistence.migrate import head_revision


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


@pytest.mark.slow
def test_foerderweg_serve_answers_on_loopback(database_url: str, tmp_path: Path) -> None:
    """The README's serve command, as a real process on a real port."""
    with serve(database_url, tmp_path) as (server,):
        response = httpx.get(f"{server.url}/health", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"
