"""Lines a test reports for the end of the run (the reliability figures), which reach the terminal summary also
when the test ran in another process (pytest-xdist): they travel in the test's report, as user properties."""

from __future__ import annotations

from collections.abc import Generator

import pytest

KEY = "summary line"
_pending: list[tuple[str, str]] = []  # reported in this process, not yet attached to a report
_collected: dict[str, list[str]] = {}  # section -> lines, in the process that prints the summary


def report_line(section: str, line: str) -> None:
    print(f"\n{line}")  # at once, for a run with -s
    _pending.append((section, line))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    while _pending:
        report.user_properties.append((KEY, _pending.pop(0)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in report.user_properties:
        if key == KEY:
            section, line = value
            _collected.setdefault(section, []).append(line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for section, lines in _collected.items():
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)
