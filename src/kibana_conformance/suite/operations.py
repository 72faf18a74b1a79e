"""Operation lists and parametrisation helpers for the suites."""

from __future__ import annotations

from typing import Any

from ..catalog import Operation, load_catalog

OPERATIONS = list(load_catalog())
WRITE_OPERATIONS = [op for op in OPERATIONS if op.is_write]
JSON_BODY_OPERATIONS = [op for op in OPERATIONS if "application/json" in (op.request_body or {}).get("content", {})]


def by_id(operations: list[Operation]) -> dict[str, Any]:
    """``pytest.mark.parametrize`` arguments over operations, with readable ids."""
    return {"argvalues": operations, "ids": [op.id for op in operations]}
