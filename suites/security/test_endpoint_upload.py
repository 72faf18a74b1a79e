"""Endpoint file upload: the action describes the file that was sent and the endpoints it targets."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_success

from .common import CLOCK_SKEW, basic_user, is_now

OP = load_catalog().get("post-endpoint-action-upload")
UPLOAD_DOC = "Upload a file to an endpoint. / file string(binary) Required: The binary content of the file."
DIGEST_DOC = "file string(binary) Required: The binary content of the file. (response: parameters.file_name, file_size, file_sha256 of that file)"
TARGET_DOC = "endpoint_ids array[string] Required: List of endpoint IDs (response: agents, hosts and agentState per endpoint id, command upload)"
IDS_DOC = "endpoint_ids array[string] Required: List of endpoint IDs (cannot contain empty strings). At least 1 element. Minimum length of each is 1."
EXAMPLE_DOC = 'Response examples (200): "id": "9ff6aebc-...", "createdBy": "elastic", "startedAt": "2023-07-03T15:07:22.837Z", "file_id": "10e4ce3d-..."'
OVERWRITE_DOC = "overwrite boolean: Overwrite the file on the host if it already exists. Default value is false."
# Every byte value, a CRLF pair, multi-byte UTF-8 text and the bytes reversed: any text handling changes them.
CONTENT = bytes(range(256)) + b"\r\n" + "Grüße, 日本\r\n".encode() + bytes(range(255, -1, -1))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def upload(kibana, run_prefix: str, *, content: bytes = CONTENT, fields: dict[str, Any] | None = None) -> httpx.Response:
    # Array fields go as one JSON text: Kibana's config-schema reads it (the schema's decision upload-array-fields).
    data = {"endpoint_ids": json.dumps([kibana.resources["endpointId"]]), "parameters": "{}", **(fields or {})}
    data = {k: v for k, v in data.items() if v is not None}
    files = {"file": (f"{run_prefix}upload.bin", content, "application/octet-stream")}
    return kibana.request("POST", OP.path, files=files, data=data, uses=("endpointId",))


def uploaded(kibana, run_prefix: str, **kwargs: Any) -> httpx.Response:
    return accepted(upload(kibana, run_prefix, **kwargs), kibana.resources)


def accepted(response: httpx.Response, resources: Any) -> httpx.Response:
    if response.status_code == 400 and resources["endpointId"] in response.text:
        resources.skip_missing(["endpointId"])  # the target names the endpoint as unknown
    expect_success(response, UPLOAD_DOC)
    expect_conforms(OP, response)
    return response


def action(kibana, run_prefix: str, **kwargs: Any) -> dict[str, Any]:
    response = uploaded(kibana, run_prefix, **kwargs)
    return read.member(read.body(response, dict, documented=UPLOAD_DOC), "data", dict, where="the answer", documented=UPLOAD_DOC)


@pytest.mark.requirement("SEC-UPLOAD-FILE-DIGEST", category="scenarios", doc=DIGEST_DOC, operation=OP.id)
def test_action_describes_the_uploaded_bytes(kibana, run_prefix):
    parameters = _dict(action(kibana, run_prefix).get("parameters"))
    received = {k: parameters.get(k) for k in ("file_name", "file_size", "file_sha256")}
    wanted = {"file_name": f"{run_prefix}upload.bin", "file_size": len(CONTENT), "file_sha256": hashlib.sha256(CONTENT).hexdigest()}
    expect(received == wanted, "the action does not describe the file that was uploaded", received=received, documented=f"{DIGEST_DOC}: {wanted}")
    expect(bool(parameters.get("file_id")), "the uploaded file has no id", received=parameters, documented=DIGEST_DOC)


@pytest.mark.requirement("SEC-UPLOAD-TARGETS", category="scenarios", doc=TARGET_DOC, operation=OP.id)
def test_action_targets_the_endpoints_sent(kibana, run_prefix):
    data = action(kibana, run_prefix)
    endpoints = [kibana.resources["endpointId"]]
    received = {
        "command": data.get("command"),
        "agents": data.get("agents"),
        "hosts": sorted(map(str, _dict(data.get("hosts")))),
        "agentState": sorted(map(str, _dict(data.get("agentState")))),
    }
    wanted = {"command": "upload", "agents": endpoints, "hosts": endpoints, "agentState": endpoints}
    expect(received == wanted, "the upload action does not target the endpoints it was sent to", received=received, documented=f"{TARGET_DOC}: {wanted}")


@pytest.mark.requirement("SEC-UPLOAD-IDS-UNIQUE", category="scenarios", doc=EXAMPLE_DOC, operation=OP.id)
def test_each_upload_is_a_new_action_and_file(kibana, run_prefix):
    actions = [action(kibana, run_prefix) for _ in range(2)]
    ids = [a.get("id") for a in actions]
    file_ids = [_dict(a.get("parameters")).get("file_id") for a in actions]
    expect(
        all(ids) and all(file_ids) and ids[0] != ids[1] and file_ids[0] != file_ids[1],
        "two uploads of the same file share an action id or a file id",
        received=f"ids {ids}, file_ids {file_ids}",
        documented=f"{EXAMPLE_DOC} (every upload is a new action with its own stored file)",
    )


@pytest.mark.requirement("SEC-UPLOAD-AUDIT", category="scenarios", doc=EXAMPLE_DOC, operation=OP.id)
def test_action_records_who_and_when(kibana, run_prefix):
    response = uploaded(kibana, run_prefix)
    data = read.member(read.body(response, dict, documented=EXAMPLE_DOC), "data", dict, where="the answer", documented=EXAMPLE_DOC)
    expect(
        is_now(data.get("startedAt"), response),
        "startedAt is not the time of the upload",
        received=f"startedAt {data.get('startedAt')!r}, target clock {response.headers.get('date')}",
        documented=f"{EXAMPLE_DOC} (within {CLOCK_SKEW} of the response's Date header)",
    )
    user = basic_user(kibana)
    expect(
        bool(data.get("createdBy")) and (user is None or data.get("createdBy") == user),
        "createdBy is not the user who uploaded the file",
        received=f"createdBy {data.get('createdBy')!r}",
        documented=f"{EXAMPLE_DOC}: createdBy {user or 'the API key user'!r}",
    )


@pytest.mark.requirement("SEC-UPLOAD-ENDPOINT-IDS", category="scenarios", doc=IDS_DOC, operation=OP.id)
@pytest.mark.parametrize("endpoint_ids", [json.dumps([]), [""], None], ids=["empty-list", "empty-id", "missing"])
def test_endpoint_ids_must_name_endpoints(endpoint_ids, kibana, run_prefix):
    response = upload(kibana, run_prefix, fields={"endpoint_ids": endpoint_ids})
    expect_envelope(OP, response, 400)


@pytest.mark.requirement("SEC-UPLOAD-OVERWRITE", category="scenarios", doc=OVERWRITE_DOC, operation=OP.id)
@pytest.mark.parametrize("sent", [None, True, False], ids=["omitted", "true", "false"])
def test_overwrite_is_echoed_or_false(sent, kibana, run_prefix):
    parameters = {} if sent is None else {"overwrite": sent}
    received = _dict(action(kibana, run_prefix, fields={"parameters": json.dumps(parameters)}).get("parameters")).get("overwrite", False)
    wanted = bool(sent)
    expect(received is wanted, "the action's overwrite flag is not the one sent (or the default, false)", received=f"overwrite: {received!r}", documented=f"{OVERWRITE_DOC}: {wanted}")


AGENT_TYPE_DOC = "agent_type string: List of agent types to retrieve. Values are endpoint, sentinel_one, crowdstrike, or microsoft_defender_endpoint. Default value is endpoint."


@pytest.mark.requirement("SEC-UPLOAD-AGENT-TYPE", category="scenarios", doc=AGENT_TYPE_DOC, operation=OP.id)
@pytest.mark.parametrize("sent", [None, "endpoint", "sentinel_one"], ids=["omitted", "endpoint", "sentinel_one"])
def test_action_is_for_the_agent_type_sent(sent, kibana, run_prefix):
    """An upload for another agent type may be refused (not every type supports it); an accepted one is of that type."""
    response = upload(kibana, run_prefix, fields={"agent_type": sent})
    if sent not in (None, "endpoint") and response.status_code in (400, 405) and kibana.resources["endpointId"] not in response.text:
        # Kibana answers 405 "Action [upload] not supported" for an agent type whose handler has no upload (or 400 when its feature is off).
        expect_envelope(OP, response, response.status_code)
        return
    accepted(response, kibana.resources)
    received = read.member(read.body(response, dict, documented=AGENT_TYPE_DOC), "data", dict, where="the answer", documented=AGENT_TYPE_DOC).get("agentType")
    wanted = sent or "endpoint"
    expect(received == wanted, "the action's agentType is not the agent_type sent (or the default, endpoint)", received=f"agentType: {received!r}", documented=f"{AGENT_TYPE_DOC}: {wanted}")
