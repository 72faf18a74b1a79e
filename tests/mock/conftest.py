"""Distinct node ids for schemathesis' per-operation tests: under pytest 9 they all get the
test function's id, and pytest-xdist then runs only one of them."""

from __future__ import annotations

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.plugin import _set_nodeid


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    catalog = load_catalog()
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and "[" not in item.nodeid:
            method, _, path = label.partition(" ")
            found = catalog.match(method, path)
            _set_nodeid(item, f"{item.nodeid}[{found[0].id if found else label}]")
