"""A pytest plugin for tests/test_ci_guard.py: marks every collected test skipped, as a broken environment would."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.skip(reason="skipped on purpose by tests/skip_everything.py"))
