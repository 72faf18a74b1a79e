"""Shared helpers for the project's own tests."""

from __future__ import annotations

import httpx

from kibana_conformance.catalog import Operation, load_catalog
from kibana_conformance.contract import response_problems

USERNAME = "elastic"
PASSWORD = "changeme"
API_KEY_ID_AND_SECRET = "kct-test-key-id:kct-test-key-secret"
# The coverage phase sends ~1,900 fixed boundary cases whatever --max-examples is: most of a small run's time. The
# end-to-end tests whose subject is not detection (reports, secrets, verdicts, sharding, safety) run without it;
# detection is measured with every phase (tests/test_zoo.py, tests/test_phases.py, bench/).
WITHOUT_COVERAGE = ("--phases", "examples,fuzzing")


def operation(operation_id: str) -> Operation:
    return load_catalog().get(operation_id)


def assert_conforms(operation_id: str, response: httpx.Response) -> None:
    """The response's status is documented for the operation and its body matches the schema."""
    problems = response_problems(operation(operation_id), response.status_code, response.headers.get("content-type"), response.content)
    assert problems == [], f"{response.request.method} {response.request.url.path} -> {response.status_code}: {problems}"
