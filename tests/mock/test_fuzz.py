"""No input makes the mock answer 500 or hang.

(a) hypothesis sends random requests (methods, paths, queries, headers, bodies), most of them
with valid credentials so that they get past authentication into validation and the handlers;
(b) schemathesis sends what the mock's own OpenAPI document describes, valid and not.

Both are derandomized so CI sees the same cases every run; KIBANA_CONFORMANCE_FUZZ_SCALE=10
(say) multiplies the number of cases for a longer hunt.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from kibana_conformance.catalog import Operation, load_catalog
from kibana_conformance.contract import envelope_problems
from kibana_conformance.mock import MockServer
from kibana_conformance.openapi import default_document
from kibana_conformance.fixture_ids import RESOURCES
from kibana_conformance.suite.profiles import pinned_path_parameters

from ..helpers import API_KEY_ID_AND_SECRET, PASSWORD, USERNAME

SCALE = max(1, int(os.environ.get("KIBANA_CONFORMANCE_FUZZ_SCALE", "1")))
ANSWER_WITHIN = 5.0  # seconds; a request the mock cannot answer in this time counts as a hang
CATALOG = load_catalog()
OPERATIONS = list(CATALOG)
# Errors outside any operation (404 for an unknown path, the control plane) use the platform envelope.
PLATFORM = next(op for op in OPERATIONS if op.error_dialect == "kibana")
PINNED = pinned_path_parameters(RESOURCES)

FUZZ = settings(
    max_examples=200 * SCALE,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def basic(user: str, password: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{password}".encode())


VALID_AUTH = [basic(USERNAME, PASSWORD), b"ApiKey " + base64.b64encode(API_KEY_ID_AND_SECRET.encode())]

# Header values as a client can send them: latin-1 without control characters or edge whitespace.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60).map(
    lambda s: s.strip().encode("latin-1")
)
odd_auth = st.one_of(
    st.sampled_from([b"Basic", b"Basic !!!", b"Bearer x", b"ApiKey", b"ApiKey \xe9\xe9", basic(USERNAME, "wrong"), basic("\xe9l\xe8ve", PASSWORD)]),
    header_text,
    st.text(max_size=20).map(lambda s: basic(s, s)),
)
auth = st.one_of(st.sampled_from(VALID_AUTH), st.sampled_from(VALID_AUTH), st.none(), odd_auth)
xsrf = st.one_of(st.just(b"true"), st.none(), header_text)
api_version = st.one_of(st.none(), st.sampled_from([b"2023-10-31", b"2024-01-01", b"2023-10-31, 2023-10-31", b"0000-00-00", b"9999-99-99"]), header_text)
content_type = st.one_of(
    st.none(),
    st.sampled_from(
        [b"application/json", b"application/json; charset=utf-8", b"APPLICATION/JSON", b"text/plain", b"application/x-www-form-urlencoded",
         b"multipart/form-data; boundary=kct", b"multipart/form-data", b"application/ndjson"]
    ),
    header_text,
)



def printable(text: str) -> str:
    """httpx refuses ASCII control characters in a URL: they go percent-encoded."""
    return "".join(quote(c) if c.isascii() and not c.isprintable() else c for c in text)


# Path segments: any text (httpx percent-encodes the rest), already percent-encoded, or huge.
segment = st.one_of(
    st.text(max_size=24).map(printable),
    st.text(max_size=12).map(lambda s: quote(s, safe="")),
    st.sampled_from(["%00", "%ff%fe", "%2F", "%2e%2e", "..", "%", "%zz", "a" * 5000]),
)
space_prefix = st.one_of(st.just(""), st.from_regex(r"\A/s/[a-z0-9_-]{1,12}\Z"), segment.map(lambda s: f"/s/{s}"))


def filled(op: Operation) -> st.SearchStrategy[str]:
    """The operation's path, each parameter a pinned resource (to reach the handler) or random."""
    names = re.findall(r"\{([A-Za-z_]+)\}", op.path)
    values = [st.one_of(st.just(PINNED.get(op.id, {}).get(name, "x")), segment) for name in names]

    def render(parts: tuple[str, ...]) -> str:
        path = op.path
        for name, value in zip(names, parts):
            path = path.replace("{" + name + "}", value or "x")
        return path

    return st.tuples(*values).map(render)


api_path = st.one_of(
    st.sampled_from(OPERATIONS).flatmap(filled),
    st.lists(segment, max_size=6).map(lambda parts: "/api/" + "/".join(parts)),
    st.lists(segment, max_size=4).map(lambda parts: "/" + "/".join(parts)),
    st.sampled_from(["/_mock/state", "/_mock/faults", "/_mock/nothing", "/_mock"]),
)
# httpx would read "//x" as a host name: such paths go over raw sockets in test_barrage.py.
path = st.tuples(space_prefix, api_path).map("".join).map(lambda p: "/%2F" + p[2:] if p.startswith("//") else p)

known_query_names = sorted({p["name"] for op in OPERATIONS for p in op.parameters_in("query")})
query = st.lists(st.tuples(st.one_of(st.sampled_from(known_query_names), st.text(max_size=10)), st.text(max_size=30)), max_size=5)

json_value = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.floats(), st.text(max_size=20),
        st.integers(min_value=-(10**30), max_value=10**30), st.sampled_from([1e308, -0.0, 5e-324, 2**53 + 1]),
    ),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=20,
)


def mutated(example: Any) -> st.SearchStrategy[Any]:
    """A valid example with one member replaced, dropped or added: the wrong shape, barely."""
    if not isinstance(example, dict) or not example:
        return json_value
    keys = sorted(example)
    return st.one_of(
        st.tuples(st.sampled_from(keys), json_value).map(lambda kv: {**example, kv[0]: kv[1]}),
        st.sampled_from(keys).map(lambda k: {n: v for n, v in example.items() if n != k}),
        st.tuples(st.text(max_size=10), json_value).map(lambda kv: {**example, kv[0]: kv[1]}),
    )


EXAMPLES = [e.value for op in OPERATIONS for e in op.examples() if e.kind == "request"]


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN and Infinity come out as the literals JSON has not


body = st.one_of(
    st.none(),
    st.binary(max_size=300),
    json_value.map(json_bytes),
    st.sampled_from(EXAMPLES).flatmap(mutated).map(json_bytes),
    st.sampled_from(EXAMPLES).map(json_bytes),
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from([b'{"name": "\xff\xfe"}', b'{"a": "\x00"}', b"\x00" * 16, b'{"n": 1e999999}', b'{"n": ' + b"9" * 5000 + b"}",
                     b'{"s": "\\ud800"}', b"\xef\xbb\xbf{}", b'{"a": NaN}', b"--kct\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--kct--\r\n"]),
)


@st.composite
def http_requests(draw: st.DrawFn, method: st.SearchStrategy[str], url: st.SearchStrategy[str]) -> dict[str, Any]:
    headers = {"authorization": draw(auth), "kbn-xsrf": draw(xsrf), "elastic-api-version": draw(api_version), "content-type": draw(content_type)}
    return {
        "method": draw(method),
        "url": draw(url),
        "params": draw(query),
        "headers": {k: v for k, v in headers.items() if v is not None},
        "content": draw(body),
    }


any_method = st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]), st.from_regex(r"\A[A-Z]{1,12}\Z"))


def operation_for(path: str) -> Operation:
    api = re.sub(r"^/s/[^/]*", "", path.split("?", 1)[0])
    return next((op for op in OPERATIONS if op.path_pattern.match(api)), PLATFORM)


def assert_answered_well(client: httpx.Client, request: dict[str, Any]) -> None:
    started = time.monotonic()
    response = client.request(**request)
    elapsed = time.monotonic() - started
    label = f"{request['method']} {response.request.url.raw_path[:200]!r} -> {response.status_code}"
    assert response.status_code < 500, f"{label}: {response.text[:500]}"
    assert elapsed < ANSWER_WITHIN, f"{label} took {elapsed:.1f}s"
    if 400 <= response.status_code < 500 and request["method"] != "HEAD":
        try:
            body = response.json()
        except ValueError:
            pytest.fail(f"{label}: the body is not JSON: {response.content[:300]!r}")
        assert envelope_problems(operation_for(response.request.url.path), response.status_code, body) == [], f"{label}: {body}"


@pytest.fixture(scope="module")
def client(mock_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_server.url, timeout=ANSWER_WITHIN * 2) as client:
        yield client


@FUZZ
@given(request=http_requests(any_method, path))
def test_any_request_is_answered_below_500_in_kibanas_envelope(client: httpx.Client, request: dict[str, Any]) -> None:
    assert_answered_well(client, request)


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
def test_bodies_and_queries_that_reach_each_handler_are_answered_below_500(client: httpx.Client, op: Operation) -> None:
    """Valid credentials, XSRF header and version, the operation's own path: the input gets to validation and the handler."""
    well_formed = {"authorization": VALID_AUTH[0], "kbn-xsrf": b"true", "elastic-api-version": b"2023-10-31", "content-type": b"application/json"}
    examples = [e.value for e in op.examples() if e.kind == "request"] or [{}]
    bodies = st.one_of(st.sampled_from(examples).flatmap(mutated), json_value).map(json_bytes)

    @settings(FUZZ, max_examples=15 * SCALE)
    @given(url=st.tuples(space_prefix, filled(op)).map("".join), params=query, content=bodies)
    def reach(url: str, params: list[tuple[str, str]], content: bytes) -> None:
        assert_answered_well(client, {"method": op.method, "url": url, "params": params, "headers": well_formed, "content": content})

    reach()


# --- schemathesis against the mock's own document ---------------------------------------

SCHEMA = schemathesis.openapi.from_dict(
    default_document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": 0,
            "request-timeout": ANSWER_WITHIN,
            "auth": {"basic": {"username": USERNAME, "password": PASSWORD}},
            "generation": {"max-examples": 5 * SCALE, "mode": "all", "database": "none"},
            "phases": {
                "examples": {"enabled": True, "fill-missing": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"not_a_server_error": {"enabled": True}},
            # Pinned to the seeded resources so that valid cases reach the handlers, not a 404.
            "operations": [
                {"include-operation-id": op_id, "parameters": {f"path.{name}": value for name, value in params.items()}}
                for op_id, params in PINNED.items()
            ],
        }
    ),
)


@pytest.mark.parametrize("operation_id", [op.id for op in OPERATIONS])
def test_no_documented_operation_answers_a_server_error(operation_id: str, mock_server: MockServer) -> None:
    """Built when it runs, as the suite's property tests are: schemathesis' own ``parametrize`` computes every
    operation's coverage cases while collecting (~3 s), in every pytest process that collects this file."""
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test
    from schemathesis.python._constants.orchestrator import make_constants_value_source

    def call(case: Any) -> None:
        case.call_and_validate(base_url=mock_server.url, checks=[not_a_server_error], headers={"kbn-xsrf": "true"})

    operation = SCHEMA.find_operation_by_id(operation_id)
    feedback = FeedbackSources(constants_value_source=make_constants_value_source(SCHEMA))
    build_operation_test(config=SCHEMA.config, operation=operation, test_func=call, given_kwargs={}, feedback=feedback)()
