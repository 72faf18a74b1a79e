"""One profile per catalog operation, and each profile's valid request is one the document accepts."""

from __future__ import annotations

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.fixture_ids import RESOURCES
from kibana_conformance.openapi import assemble
from kibana_conformance.suite.profiles import PROFILES
from kibana_conformance.suite.resources import BY_NAME, Resources

CATALOG = load_catalog()
PREFIX = "kct-test-"


def test_one_profile_per_operation_of_the_catalog() -> None:
    assert sorted(PROFILES) == sorted(op.id for op in CATALOG.operations)
    assert all(profile.id == op_id for op_id, profile in PROFILES.items())


@pytest.mark.parametrize("operation_id", sorted(PROFILES))
def test_a_profile_names_known_resources_and_parameters(operation_id: str) -> None:
    profile, op = PROFILES[operation_id], CATALOG.get(operation_id)
    path_parameters = {p["name"] for p in op.parameters if p.get("in") == "path"}
    assert set(profile.pinned) <= path_parameters and set(profile.prefixed_path) <= path_parameters
    assert set(profile.pinned.values()) | set(profile.pinned_body_lists.values()) <= set(BY_NAME)
    if profile.creates:
        assert profile.created_id is not None, "a profile that creates something says how it is identified"


@pytest.mark.parametrize("operation_id", sorted(PROFILES))
def test_the_valid_request_of_a_profile_is_valid(operation_id: str) -> None:
    """What the hand-written suites send as "a valid request" is valid by the request schema."""
    import jsonschema

    request = PROFILES[operation_id].valid_request(PREFIX, Resources(RESOURCES))
    assert "{" not in request.path, request.path
    if request.json_body is None:
        return
    document = assemble(CATALOG, "positive")
    path_item = next(item for item in document["paths"].values() for method, o in item.items() if isinstance(o, dict) and o.get("operationId") == operation_id)
    body = path_item[request.op.method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    jsonschema.validate(request.json_body, {**body, "components": document.get("components", {})})
