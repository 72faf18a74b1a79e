"""Shared helpers for the project's own tests."""

from __future__ import annotations

import httpx

from kibana_conformance.catalog import Operation, load_catalog
from kibana_conformance.contract import response_problems

USERNAME = "elastic"
PASSWORD = "changeme"
API_KEY_ID_AND_SECRET = "kct-test-key-id:kct-test-key-secret"


def operation(operation_id: str) -> Operation:
    return load_catalog().get(operation_id)


def assert_conforms(operation_id: str, response: httpx.Response) -> None:
    """The response's status is documented for the operation and its body matches the schema."""
    problems = response_problems(operation(operation_id), response.status_code, response.headers.get("content-type"), response.content)
    assert problems == [], f"{response.request.method} {response.request.url.path} -> {response.status_code}: {problems}"
