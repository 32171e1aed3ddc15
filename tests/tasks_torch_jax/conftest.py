"""Nightly tests run only when asked for by name (``-m nightly``, as scripts/nightly.sh does).

The default ``addopts`` deselects them; this also keeps them out when another ``-m`` expression replaces
that default (e.g. ``scripts/test.sh -m "not slow"``).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "nightly" in (config.option.markexpr or "").replace("not nightly", ""):
        return
    skip = pytest.mark.skip(reason="nightly: run with -m nightly (scripts/nightly.sh)")
    for item in items:
        if "nightly" in item.keywords:
            item.add_marker(skip)
