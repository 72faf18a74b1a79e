"""Kibana's error envelope: refused input and unknown resources are answered in the documented shape."""

from __future__ import annotations

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, known_divergence, shows_kibana_behaviour
from kibana_conformance.suite.profiles import ApiRequest, exception_item_body, valid_request

CATALOG = load_catalog()
ENVELOPE_DOC = "Bad Request response: {statusCode, error, message} (Fleet adds errorType)"


JSON_BODY_OPERATIONS = [op.id for op in CATALOG if "application/json" in (op.request_body or {}).get("content", {})]
INVALID_OPERATIONS = sorted({*JSON_BODY_OPERATIONS, "get-fleet-agent-status-data", "get-osquery-live-queries-id-results-actionid", "post-endpoint-action-upload"})


def _invalid_request(op_id: str, prefix: str, resources) -> ApiRequest:
    """For an operation that takes input, a request that breaks a stated constraint."""
    request = valid_request(op_id, prefix, resources)
    if op_id == "get-fleet-agent-status-data":
        return ApiRequest(request.op, request.path)  # agentsIds is required
    if op_id == "get-osquery-live-queries-id-results-actionid":
        return ApiRequest(request.op, request.path, query={"page": "first"}, uses=request.uses)
    if op_id == "post-endpoint-action-upload":
        return ApiRequest(request.op, request.path, multipart={**(request.multipart or {}), "endpoint_ids": [""]}, uses=request.uses)
    return request.with_body(["not", "an", "object"])


@pytest.mark.requirement("ERR-ENVELOPE-400", category="error-envelope", doc=ENVELOPE_DOC)
@pytest.mark.parametrize("op", [CATALOG.get(i) for i in INVALID_OPERATIONS], ids=INVALID_OPERATIONS)
def test_refused_input_gets_the_400_envelope(op, kibana, resources, run_prefix):
    response = _invalid_request(op.id, run_prefix, resources).send(kibana)
    # Kibana never reads the body of a GET: a GET refused for its body only may be served as without it. A GET
    # refused for its query (agent status, osquery results) has no such excuse.
    if op.method == "GET" and op.id in JSON_BODY_OPERATIONS and response.status_code == 200 and shows_kibana_behaviour(op, response):
        known_divergence(op, "get-body-ignored", response)
        return
    expect_envelope(op, response, 400)
    expect_conforms(op, response)


UNKNOWN = "kct-does-not-exist"
NOT_FOUND_PATHS = {
    "get-fleet-outputs-outputid": f"/api/fleet/outputs/{UNKNOWN}",
    "put-fleet-package-policies-packagepolicyid": f"/api/fleet/package_policies/{UNKNOWN}",
    "get-osquery-live-queries-id-results-actionid": f"/api/osquery/live_queries/{UNKNOWN}/results/{UNKNOWN}",
    "get-streams-name-group": f"/api/streams/{UNKNOWN}/_group",
}


@pytest.mark.requirement("ERR-NOT-FOUND", category="error-envelope", doc="Get output by ID. / Update a package policy by ID.: an id that names nothing is not found")
@pytest.mark.parametrize("op", [CATALOG.get(i) for i in NOT_FOUND_PATHS], ids=list(NOT_FOUND_PATHS))
def test_unknown_resource_gets_the_404_envelope(op, kibana):
    body = {} if op.id == "put-fleet-package-policies-packagepolicyid" else None
    response = kibana.request(op.method, NOT_FOUND_PATHS[op.id], json_body=body, expect_missing=True)
    expect_envelope(op, response, 404)
    expect_conforms(op, response)


EXCEPTION_404_DOC = 'Exception list item not found response: {"message": "exception list item item_id: \\"foo\\" does not exist", "status_code": 404}'


@pytest.mark.requirement("ERR-EXCEPTION-ITEM-404", category="error-envelope", doc=EXCEPTION_404_DOC, operation="put-exception-lists-items")
@pytest.mark.parametrize("key", ["item_id", "id"])
def test_unknown_exception_item_gets_the_documented_404(key, kibana, resources, run_prefix):
    op = CATALOG.get("put-exception-lists-items")
    unknown = f"{run_prefix}missing-item"
    body = exception_item_body(run_prefix, resources)
    body.pop("item_id")
    body[key] = unknown
    response = kibana.request("PUT", op.path, json_body=body, expect_missing=True)
    expect_envelope(op, response, 404)
    expect_conforms(op, response)
    answer = read.body(response, dict, documented=EXCEPTION_404_DOC)
    message = str(answer.get("message", ""))
    expect(
        unknown in message and "does not exist" in message and "status_code" in answer,
        "the 404 body is not the documented one",
        received=answer,
        documented=EXCEPTION_404_DOC,
    )


TOO_LARGE_DOC = "Kibana refuses a request body over its payload limit (server.maxPayload, 1 MiB by default) with 413 and its error envelope"
AGENT_KEYS = CATALOG.get("post-apm-agent-keys")


@pytest.mark.requirement("ERR-ENVELOPE-413", category="error-envelope", doc=TOO_LARGE_DOC, operation=AGENT_KEYS.id)
def test_an_oversized_body_gets_the_413_envelope(kibana, run_prefix):
    body = {"name": f"{run_prefix}too-large", "privileges": ["event:write"], "padding": "x" * (2 * 1024 * 1024)}
    response = kibana.request("POST", AGENT_KEYS.path, json_body=body)
    expect_envelope(AGENT_KEYS, response, 413)
