"""Endpoint response actions: uploading a file to endpoints."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx

from ..helpers import USERNAME, assert_conforms

OP = "post-endpoint-action-upload"
UPLOAD = "/api/endpoint/action/upload"
BOUNDARY = "kct-boundary-7d41f3"
DOCUMENT_ENDPOINT = "ed518850-681a-4d60-bb98-e22640cae2a8"
ALL_BYTES = bytes(range(256))

Part = tuple[str, bytes, str | None]  # name, content, filename (None for a plain field)


def multipart(parts: list[Part]) -> bytes:
    chunks = []
    for name, content, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        kind = "Content-Type: application/octet-stream\r\n" if filename else ""
        chunks.append(f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{kind}\r\n".encode() + content + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def upload(api: httpx.Client, parts: list[Part], space: str | None = None) -> httpx.Response:
    response = api.post(
        (f"/s/{space}" if space else "") + UPLOAD,
        content=multipart(parts),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert_conforms(OP, response)
    return response


def binary_upload(*extra: Part, endpoints: tuple[str, ...] = (DOCUMENT_ENDPOINT,)) -> list[Part]:
    return [
        ("file", ALL_BYTES, "payload.bin"),
        ("parameters", b"{}", None),
        *[("endpoint_ids[]", endpoint.encode(), None) for endpoint in endpoints],
        *extra,
    ]


def test_document_curl_request_succeeds(api: httpx.Client) -> None:
    response = upload(api, [("file", b"RWxhc3RpYw==", None), ("parameters", b"{}", None), ("endpoint_ids[]", DOCUMENT_ENDPOINT.encode(), None)])
    assert response.status_code == 200
    data = response.json()["data"]
    assert uuid.UUID(data["id"])
    assert data["agents"] == [DOCUMENT_ENDPOINT]
    assert data["hosts"] == {DOCUMENT_ENDPOINT: {"name": "Host-5i6cuc8kdv"}}
    assert data["agentState"] == {DOCUMENT_ENDPOINT: {"isCompleted": False, "wasSuccessful": False}}
    assert (data["command"], data["status"], data["agentType"], data["createdBy"]) == ("upload", "pending", "endpoint", USERNAME)
    assert (data["isCompleted"], data["wasSuccessful"], data["isExpired"]) == (False, False, False)
    assert data["outputs"] == {}
    assert data["startedAt"].endswith("Z")
    assert "comment" not in data
    parameters = data["parameters"]
    assert uuid.UUID(parameters["file_id"])
    assert parameters["file_name"] == "file"
    assert parameters["file_size"] == len(b"RWxhc3RpYw==")
    assert parameters["file_sha256"] == hashlib.sha256(b"RWxhc3RpYw==").hexdigest()
    assert parameters["overwrite"] is False


def test_binary_file_size_and_sha256_are_exact(api: httpx.Client) -> None:
    parameters = upload(api, binary_upload()).json()["data"]["parameters"]
    assert parameters["file_name"] == "payload.bin"
    assert parameters["file_size"] == 256
    assert parameters["file_sha256"] == hashlib.sha256(ALL_BYTES).hexdigest()


def test_several_endpoints_options_and_unknown_hosts(api: httpx.Client) -> None:
    endpoints = (DOCUMENT_ENDPOINT, "3f2b8c71-94d0-4e6a-b5c2-7a1d9e0f4c38", "not-enrolled")
    parts = binary_upload(("agent_type", b"crowdstrike", None), ("comment", b"Push the fix script", None), endpoints=endpoints)
    parts[1] = ("parameters", b'{"overwrite": true}', None)
    data = upload(api, parts).json()["data"]
    assert data["agents"] == list(endpoints)
    assert data["hosts"] == {DOCUMENT_ENDPOINT: {"name": "Host-5i6cuc8kdv"}, endpoints[1]: {"name": "WIN-DC01"}, "not-enrolled": {"name": ""}}
    assert set(data["agentState"]) == set(endpoints)
    assert data["agentType"] == "crowdstrike"
    assert data["comment"] == "Push the fix script"
    assert data["parameters"]["overwrite"] is True


def test_each_upload_is_a_new_action_with_a_new_file(api: httpx.Client) -> None:
    first = upload(api, binary_upload()).json()["data"]
    second = upload(api, binary_upload()).json()["data"]
    assert first["id"] != second["id"]
    assert first["parameters"]["file_id"] != second["parameters"]["file_id"]
    assert second["startedAt"] > first["startedAt"]


def test_endpoint_ids_as_one_json_array(api: httpx.Client) -> None:
    parts = [("file", ALL_BYTES, "payload.bin"), ("parameters", b"{}", None), ("endpoint_ids", b'["a1", "b2"]', None)]
    assert upload(api, parts).json()["data"]["agents"] == ["a1", "b2"]


def test_empty_endpoint_ids_are_rejected(api: httpx.Client) -> None:
    no_ids = upload(api, [("file", ALL_BYTES, "payload.bin"), ("parameters", b"{}", None), ("endpoint_ids", b"[]", None)])
    assert no_ids.status_code == 400
    # The upload route validates with @kbn/config-schema, and answers in its words.
    assert no_ids.json()["message"] == "[request body.endpoint_ids]: array size is [0], but cannot be smaller than [1]"
    empty_id = upload(api, binary_upload(endpoints=("",)))
    assert empty_id.status_code == 400
    assert empty_id.json()["message"] == "[request body.endpoint_ids.0]: value has length [0] but it must have a minimum length of [1]."
    assert upload(api, binary_upload(endpoints=("  ",))).status_code == 400  # blank once trimmed
    assert stored_actions(api, "default") == {}


def test_unknown_fields_are_refused(api: httpx.Client) -> None:
    unknown = upload(api, binary_upload(("priority", b"high", None)))
    assert unknown.status_code == 400
    assert unknown.json() == {"statusCode": 400, "error": "Bad Request", "message": "[request body.priority]: definition for this key is missing"}
    parts = binary_upload()
    parts[1] = ("parameters", b'{"overwrite": true, "mode": "0755"}', None)
    assert upload(api, parts).json()["message"] == "[request body.parameters.mode]: definition for this key is missing"
    assert stored_actions(api, "default") == {}


def test_missing_parameters_are_rejected(api: httpx.Client) -> None:
    response = upload(api, [("file", ALL_BYTES, "payload.bin"), ("endpoint_ids[]", DOCUMENT_ENDPOINT.encode(), None)])
    assert response.status_code == 400


def stored_actions(api: httpx.Client, space: str) -> dict[str, Any]:
    spaces = api.get("/_mock/state").json()["spaces"]
    return spaces[space]["endpoint"]["actions"] if space in spaces else {}


def test_actions_are_stored_per_space(api: httpx.Client) -> None:
    in_team = upload(api, binary_upload(), space="team-a")
    assert in_team.status_code == 200
    action = in_team.json()["data"]
    assert in_team.json()["data"]["hosts"][DOCUMENT_ENDPOINT]["name"] == "Host-5i6cuc8kdv"
    assert stored_actions(api, "team-a") == {action["id"]: action}
    assert stored_actions(api, "default") == {}
    upload(api, binary_upload(), space="team-b")
    assert list(stored_actions(api, "team-a")) == [action["id"]]
