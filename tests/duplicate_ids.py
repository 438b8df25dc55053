"""A pytest plugin for tests/test_ci_guard.py: a second test with the first test's node id, as pytest 9.2 makes of
schemathesis' tests of each operation (one node id for all of them)."""

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first = items[0]
    assert isinstance(first, pytest.Function)
    items.append(pytest.Function.from_parent(first.parent, name=first.name))
