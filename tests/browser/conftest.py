"""Browser tests: the real app served by uvicorn on loopback (in a thread, so the test owns its clock), driven by
Playwright in Debian's headless Chromium. Each test writes a screenshot of every page it visits to
test-output/browser/<test>/ (full page, numbered in the order visited).

Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it), never from Playwright's own download,
which this network does not allow. Without it these tests skip with that message, unless
FOERDERWEG_TEST_REQUIRE_BROWSER=1 (CI) makes the missing browser a failure.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from api.app import create_app
from tests.serving import REPO, free_port
from tests.web import conftest as web_fixtures
from tests.web.conftest import Clock
from workflow.context import Context

# The web pages' fixtures, so both suites build their world and clock the same way.
clock = web_fixtures.clock
world = web_fixtures.world
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUTPUT = REPO / "test-output" / "browser"
MISSING = ("headless Chromium is not installed at /usr/bin/chromium: `apt-get install chromium` "
           "(Debian's package; .ci/run installs it) to run the browser tests")


def _require_browser() -> bool:
    return os.environ.get("FOERDERWEG_TEST_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if _require_browser():
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def live_url(ctx: Context, clock: Clock) -> Iterator[str]:
    """The app on a free loopback port, served by uvicorn as in production, on the test's database and clock."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx, clock=clock), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    until = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < until, "the live server did not start"
        time.sleep(0.02)  # polling a starting server, not waiting for a deadline
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@dataclass
class Screenshots:
    """Numbered full-page screenshots in the test's output folder."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Any, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    folder = OUTPUT / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Screenshots(folder)


@pytest.fixture
def open_page(chromium: Any, live_url: str) -> Iterator[Any]:
    """open_page() gives a fresh browser tab (its own cookies, German locale) on the live server."""
    contexts: list[Any] = []

    def new_tab(locale: str = "de-DE") -> Any:
        context = chromium.new_context(base_url=live_url, locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield new_tab
    for context in contexts:
        context.close()
