"""The malformed-input barrage: every answer is a 4xx in Kibana's envelope (or a success where
the input is valid), and the server stays up.

What an HTTP client library refuses to send (CR or LF in a header, a broken request line,
pipelining, HTTP/1.0, a request that never ends) goes over a raw socket.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from kibana_conformance.catalog import Operation, load_catalog
from kibana_conformance.contract import envelope_problems
from kibana_conformance.mock import MockServer

from ..helpers import PASSWORD, USERNAME

CATALOG = load_catalog()
PLATFORM = CATALOG.get("post-apm-agent-keys")
UPLOAD = "/api/endpoint/action/upload"
PROBE = "/api/detection_engine/rules/prepackaged/_status"
AUTHORIZATION = b"Authorization: Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()) + b"\r\n"
MB = 1024 * 1024
# The routes that take a JSON body, at a path that reaches their handler.
JSON_ROUTES = {
    "post-apm-agent-keys": ("POST", "/api/apm/agent_keys"),
    "put-fleet-package-policies-packagepolicyid": ("PUT", "/api/fleet/package_policies/f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"),
    "put-fleet-settings": ("PUT", "/api/fleet/settings"),
    "put-logstash-pipeline-id": ("PUT", "/api/logstash/pipeline/kct-barrage"),
    "put-exception-lists-items": ("PUT", "/api/exception_lists/items"),
    "post-security-ai-assistant-current-user-conversations": ("POST", "/api/security_ai_assistant/current_user/conversations"),
}
json_route = pytest.mark.parametrize("op_id", list(JSON_ROUTES))


def assert_envelope(op: Operation, status: int, content: bytes) -> None:
    assert 400 <= status < 500, f"{status}: {content[:300]!r}"
    body = json.loads(content)
    assert envelope_problems(op, status, body) == [], body


def assert_rejected(response: httpx.Response, op_id: str, *statuses: int) -> None:
    assert response.status_code in statuses, response.text[:300]
    assert_envelope(CATALOG.get(op_id), response.status_code, response.content)


@pytest.fixture
def client(mock_server: MockServer) -> Iterator[httpx.Client]:
    """A well-behaved client; after each test, a normal request must still succeed."""
    with httpx.Client(base_url=mock_server.url, auth=(USERNAME, PASSWORD), headers={"kbn-xsrf": "true"}, timeout=30) as client:
        client.post("/_mock/reset").raise_for_status()
        yield client
    with httpx.Client(base_url=mock_server.url, auth=(USERNAME, PASSWORD), timeout=10) as after:
        assert after.get(PROBE).status_code == 200, "the mock stopped answering"


def send(client: httpx.Client, op_id: str, content: bytes | Iterator[bytes], content_type: str = "application/json") -> httpx.Response:
    method, path = JSON_ROUTES[op_id]
    return client.request(method, path, content=content, headers={"content-type": content_type})


# --- bodies -------------------------------------------------------------------------------


@json_route
def test_random_bytes_are_a_400(client: httpx.Client, op_id: str) -> None:
    rng = random.Random(op_id)
    for _ in range(20):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
        assert_rejected(send(client, op_id, b"\x00" + blob), op_id, 400)


def test_random_bytes_to_the_upload_route_are_a_400(client: httpx.Client) -> None:
    rng = random.Random(UPLOAD)
    for _ in range(20):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
        response = client.post(UPLOAD, content=blob, headers={"content-type": "multipart/form-data; boundary=kct"})
        assert_rejected(response, "post-endpoint-action-upload", 400)


@json_route
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=kct", "application/jsonx", "image/png", ";;;"],
)
def test_a_wrong_content_type_is_a_415(client: httpx.Client, op_id: str, content_type: str) -> None:
    assert_rejected(send(client, op_id, b'{"name": "kct"}', content_type), op_id, 415)


def test_json_to_the_upload_route_is_a_415(client: httpx.Client) -> None:
    response = client.post(UPLOAD, json={"file": "x", "parameters": {}, "endpoint_ids": ["ed518850-681a-4d60-bb98-e22640cae2a8"]})
    assert_rejected(response, "post-endpoint-action-upload", 415)


@json_route
@pytest.mark.parametrize("opening, closing", [(b"[", b"]"), (b'{"a":', b"}")], ids=["arrays", "objects"])
def test_json_nested_100k_levels_deep_is_a_400(client: httpx.Client, op_id: str, opening: bytes, closing: bytes) -> None:
    response = send(client, op_id, opening * 100_000 + b"1" * (opening == b'{"a":') + closing * 100_000)
    assert_rejected(response, op_id, 400)
    assert response.json()["message"] == "Invalid request payload JSON format"


def test_a_form_field_nested_100k_levels_deep_is_a_400(client: httpx.Client) -> None:
    form = b'--kct\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nx\r\n'
    form += b'--kct\r\nContent-Disposition: form-data; name="parameters"\r\n\r\n' + b"[" * 100_000 + b"\r\n--kct--\r\n"
    response = client.post(UPLOAD, content=form, headers={"content-type": "multipart/form-data; boundary=kct"})
    assert_rejected(response, "post-endpoint-action-upload", 400)


@json_route
def test_a_10_mb_body_is_a_413(client: httpx.Client, op_id: str) -> None:
    response = send(client, op_id, b"[" + b"1," * (5 * MB) + b"1]")
    assert_rejected(response, op_id, 413)
    assert response.json()["message"] == "Payload content length greater than maximum allowed: 1048576"


def test_a_10_mb_body_without_content_length_is_a_413(client: httpx.Client) -> None:
    chunks = (b" " * MB for _ in range(10))  # a generator: sent chunked, so the size shows only while reading
    assert_rejected(send(client, "put-fleet-settings", chunks), "put-fleet-settings", 413)


def upload_form(size: int) -> bytes:
    return (
        b'--kct\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + random.Random(size).randbytes(size)
        + b'\r\n--kct\r\nContent-Disposition: form-data; name="parameters"\r\n\r\n{}\r\n'
        + b'--kct\r\nContent-Disposition: form-data; name="endpoint_ids"\r\n\r\n["ed518850-681a-4d60-bb98-e22640cae2a8"]\r\n--kct--\r\n'
    )


def test_a_10_mb_upload_is_a_valid_upload(client: httpx.Client) -> None:
    response = client.post(UPLOAD, content=upload_form(10 * MB), headers={"content-type": "multipart/form-data; boundary=kct"})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"]["parameters"]["file_size"] == 10 * MB


def test_an_upload_over_25_mb_is_a_413(client: httpx.Client) -> None:
    response = client.post(UPLOAD, content=upload_form(26 * MB), headers={"content-type": "multipart/form-data; boundary=kct"})
    assert_rejected(response, "post-endpoint-action-upload", 413)


# --- raw HTTP -------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def exchange(port: int, data: bytes, responses: int = 1, timeout: float = 10) -> list[RawResponse]:
    """Send raw bytes; read until ``responses`` answers came or the server closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        buffer, answers = b"", []
        while len(answers) < responses:
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if sep:
                lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.split(": ", 1) for line in lines[1:])
                length = int(headers.get("content-length", "0"))
                if len(rest) >= length:
                    answers.append(RawResponse(int(lines[0].split()[1]), headers, rest[:length]))
                    buffer = rest[length:]
                    continue
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
    return answers


def raw_request(request_line: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    return request_line + b"\r\nHost: 127.0.0.1\r\n" + b"".join(headers) + b"\r\n" + body


@pytest.mark.parametrize(
    "header",
    [
        b"X-Kct: a\r X-Injected: yes\r\n",
        b"X-Kct: a\nX-Injected: yes\r\n",
        b"X-Kct: a\r\n X-Injected: yes\r\n",  # obsolete line folding
        b"X-Kct: a\x00b\r\n",
        b"kbn-xsrf: true\r\r\n",
        b"X Kct: a\r\n",
        b"X-Kct : a\r\n",
        b"X-Kct\r\n",
    ],
    ids=["bare-cr", "bare-lf", "folding", "nul", "cr-before-crlf", "space-in-name", "space-before-colon", "no-colon"],
)
def test_header_injection_is_a_400(client: httpx.Client, mock_server: MockServer, header: bytes) -> None:
    request = raw_request(b"PUT /api/fleet/settings HTTP/1.1", AUTHORIZATION, b"Content-Type: application/json\r\nContent-Length: 2\r\n", header, body=b"{}")
    [answer] = exchange(mock_server.port, request)
    assert answer.status == 400
    assert_envelope(PLATFORM, answer.status, answer.body)
    assert "x-injected" not in {name.lower() for name in answer.headers}


@pytest.mark.parametrize(
    "request_line",
    [b"get /api/fleet/settings HTTP/1.1", b"GET /api/a b HTTP/1.1", b"GET /api/\xff HTTP/1.1", b"GET /api/x HTTP/1.2", b"\x16\x03\x01\x02\x00\x01\x00"],
    ids=["lowercase-method", "space-in-path", "non-ascii-path", "unknown-version", "tls-hello"],
)
def test_a_broken_request_line_is_a_400(client: httpx.Client, mock_server: MockServer, request_line: bytes) -> None:
    [answer] = exchange(mock_server.port, raw_request(request_line, AUTHORIZATION))
    assert_envelope(PLATFORM, answer.status, answer.body)


@pytest.mark.parametrize(
    "framing",
    [b"Content-Length: abc\r\n", b"Content-Length: -1\r\n", b"Content-Length: 2\r\nContent-Length: 3\r\n", b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n"],
    ids=["not-a-number", "negative", "twice", "with-chunked"],
)
def test_a_bad_content_length_is_a_400(client: httpx.Client, mock_server: MockServer, framing: bytes) -> None:
    [answer] = exchange(mock_server.port, raw_request(b"PUT /api/fleet/settings HTTP/1.1", AUTHORIZATION, b"kbn-xsrf: x\r\n", framing, body=b"{}"))
    assert answer.status == 400
    assert_envelope(PLATFORM, answer.status, answer.body)


def test_extremely_many_headers_are_still_a_valid_request(client: httpx.Client, mock_server: MockServer) -> None:
    many = b"".join(b"X-Kct-%d: %d\r\n" % (n, n) for n in range(20_000))
    [answer] = exchange(mock_server.port, raw_request(b"GET " + PROBE.encode() + b" HTTP/1.1", AUTHORIZATION, many, b"Connection: close\r\n"))
    assert answer.status == 200
    [answer] = exchange(mock_server.port, raw_request(b"GET " + PROBE.encode() + b" HTTP/1.1", b"X-Kct-Big: " + b"a" * MB + b"\r\n", b"Connection: close\r\n"))
    assert_envelope(PLATFORM, answer.status, answer.body)  # no credentials: a 401


def test_http_1_0_is_answered_and_the_connection_closed(client: httpx.Client, mock_server: MockServer) -> None:
    answers = exchange(mock_server.port, b"GET " + PROBE.encode() + b" HTTP/1.0\r\n" + AUTHORIZATION + b"\r\n", responses=2)
    assert [a.status for a in answers] == [200]  # and then the server closed the connection
    [anonymous] = exchange(mock_server.port, b"PUT /api/fleet/settings HTTP/1.0\r\n\r\n")
    assert anonymous.status == 401
    assert_envelope(PLATFORM, anonymous.status, anonymous.body)


def test_pipelined_requests_are_answered_in_order(client: httpx.Client, mock_server: MockServer) -> None:
    requests = [
        raw_request(b"GET " + PROBE.encode() + b" HTTP/1.1", AUTHORIZATION),
        raw_request(b"GET " + PROBE.encode() + b" HTTP/1.1"),
        raw_request(b"PUT /api/fleet/settings HTTP/1.1", AUTHORIZATION, b"kbn-xsrf: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n", body=b"{}"),
        raw_request(b"GET /api/nothing/here HTTP/1.1", AUTHORIZATION),
        raw_request(b"PUT /api/fleet/settings HTTP/1.1", AUTHORIZATION, b"kbn-xsrf: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\n", body=b"{x}"),
        raw_request(b"GET " + PROBE.encode() + b" HTTP/1.1", AUTHORIZATION, b"Connection: close\r\n"),
    ]
    answers = exchange(mock_server.port, b"".join(requests), responses=len(requests))
    assert [a.status for a in answers] == [200, 401, 200, 404, 400, 200]
    for answer in answers:
        if answer.status >= 400:
            assert_envelope(PLATFORM, answer.status, answer.body)


def test_slow_partial_requests_do_not_keep_other_clients_waiting(client: httpx.Client, mock_server: MockServer) -> None:
    """Slowloris: connections that send a request a few bytes at a time, or never finish the body."""
    stop = threading.Event()
    partial = raw_request(b"PUT /api/fleet/settings HTTP/1.1", AUTHORIZATION, b"kbn-xsrf: x\r\nContent-Length: 100000\r\n", body=b"{")

    def trickle(n: int) -> None:
        with socket.create_connection(("127.0.0.1", mock_server.port), timeout=10) as sock:
            for i in range(0, len(partial), 3):
                if stop.wait(0.02):
                    return
                sock.sendall(partial[i : i + 3])
            stop.wait(10)  # then hold the unfinished request open

    trickling = [threading.Thread(target=trickle, args=(n,), daemon=True) for n in range(24)]
    for thread in trickling:
        thread.start()
    try:
        time.sleep(0.3)
        for _ in range(20):
            started = time.monotonic()
            assert client.get(PROBE).status_code == 200
            assert time.monotonic() - started < 2
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in trickling:
            thread.join(10)
