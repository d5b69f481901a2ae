"""Repository-level pytest setup: which notebooks nbval runs, and their marker."""

import pytest

# Exercise notebooks are graded by otter (tests/grading), not re-executed by nbval.
collect_ignore_glob = ["notebooks/exercises/*", "_build/*", "book/static/*"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
