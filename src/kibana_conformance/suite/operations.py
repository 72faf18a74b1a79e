"""Operation lists and parametrisation helpers for the suites."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..catalog import Operation, load_catalog
from .requests import ApiRequest

OPERATIONS = list(load_catalog())
WRITE_OPERATIONS = [op for op in OPERATIONS if op.is_write]
JSON_BODY_OPERATIONS = [op for op in OPERATIONS if "application/json" in (op.request_body or {}).get("content", {})]


def by_id(operations: list[Operation]) -> dict[str, Any]:
    """``pytest.mark.parametrize`` arguments over operations, with readable ids."""
    return {"argvalues": operations, "ids": [op.id for op in operations]}


def skip_if_resource_missing(request: ApiRequest, response: httpx.Response) -> None:
    """A 404 on a path that names an existing resource means the target lacks it: skip, saying how to fix it."""
    if response.status_code == 404 and "{" in request.op.path:
        pytest.skip(
            f"{request.path} does not exist on the target; point the suite at an existing one with "
            f"--resource (see `pytest --help`, kibana-conformance group)"
        )
