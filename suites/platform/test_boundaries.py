"""Boundary values in free-text fields: every answer is a documented one, never a server error.

Empty, very long and non-ASCII strings are where encoders, index mappings and unguarded string
functions break. The document puts no length or character limit on these fields, so a target
may still refuse a value with a 4xx (in the envelope), but a 5xx is never an answer.
"""

from __future__ import annotations

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.contract import documented_status
from kibana_conformance.suite.expect import expect, expect_conforms
from kibana_conformance.suite.profiles import PROFILES, valid_request

CATALOG = load_catalog()
BOUNDARIES = {
    "empty": "",
    "long": "k" * 10_000,
    "unicode": "Ünïcødé ✓ 名前 שלום 🚀 e\u0301",
}


def _string_fields(op_id: str) -> list[str]:
    op = CATALOG.get(op_id)
    media = (op.request_body or {}).get("content", {}).get("application/json")
    if not media:
        return []
    schema = op.raw["$defs"][media["schema"]["$ref"].removeprefix("#/$defs/")]
    branches = schema.get("anyOf", [schema])
    properties = {}
    for branch in branches:
        branch = op.raw["$defs"].get(branch.get("$ref", "").removeprefix("#/$defs/"), branch)
        properties.update(branch.get("properties", {}))
    return sorted(name for name, prop in properties.items() if prop.get("type") in ("string", ["string", "null"]) and "enum" not in prop and name != "version" and name != "_version")


CASES = [
    pytest.param(op, field, kind, id=f"{op.id}:{field}:{kind}")
    for op in CATALOG
    if op.is_write
    for field in _string_fields(op.id)
    for kind in BOUNDARIES
]


@pytest.mark.requirement(
    "PLATFORM-BOUNDARY-NO-SERVER-ERROR",
    category="error-envelope",
    doc="Responses: the documented statuses of each operation (a server error the operation does not document is never an answer to a request the client could send)",
)
@pytest.mark.parametrize(("op", "field", "kind"), CASES)
def test_boundary_string_gets_a_documented_answer(op, field, kind, kibana, resources, run_prefix):
    request = valid_request(op.id, run_prefix, resources)
    value = BOUNDARIES[kind]
    if field in PROFILES[op.id].prefixed_body:
        # A field that names what the test creates keeps the run prefix, so it stays recognisable.
        value = run_prefix + value
    body = {**request.json_body, field: value}
    # A boundary value in a field that addresses the item may name none: a 404 is a documented answer then.
    response = request.with_body(body).send(kibana, expect_missing=True)
    expect(
        documented_status(op, response.status_code),
        f"{op.label} answered {response.status_code} to a {kind} string in {field}",
        received=f"{response.status_code} {response.text[:200]}",
        documented=f"a documented answer: success, a 4xx in Kibana's envelope, or a status the operation documents ({', '.join(op.responses)})",
    )
    expect_conforms(op, response)
