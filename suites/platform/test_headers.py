"""Kibana's request headers: kbn-xsrf on writes, elastic-api-version, the JSON content type."""

from __future__ import annotations

import json

import pytest

from kibana_conformance.catalog import API_VERSION
from kibana_conformance.suite.expect import expect, expect_envelope, expect_status, expect_success
from kibana_conformance.suite.operations import JSON_BODY_OPERATIONS, OPERATIONS, WRITE_OPERATIONS, by_id
from kibana_conformance.suite.profiles import valid_request

XSRF_MESSAGE = "Request must contain a kbn-xsrf header."
XSRF_DOC = "kbn-xsrf string Required: A required header to protect against CSRF attacks"
VERSION_DOC = "elastic-api-version string Required: The version of the API to use. Value is 2023-10-31. Default value is 2023-10-31."
# Kibana reads elastic-api-version on the routes of its versioned router only (the schema's operation.versioned):
# an unversioned route (Cases, Logstash) ignores a malformed or unknown version.
VERSIONED_OPERATIONS = [op for op in OPERATIONS if op.versioned]


@pytest.mark.requirement("HDR-XSRF-REQUIRED", category="headers", doc=XSRF_DOC)
@pytest.mark.parametrize("op", **by_id(WRITE_OPERATIONS))
def test_write_without_kbn_xsrf_is_refused(op, kibana, resources, run_prefix):
    response = valid_request(op.id, run_prefix, resources).send(kibana, xsrf=False)
    expect_envelope(op, response, 400, XSRF_MESSAGE)


@pytest.mark.requirement("HDR-XSRF-ANY-VALUE", category="headers", doc=XSRF_DOC)
@pytest.mark.parametrize("value", ["true", "", "kibana-conformance"])
@pytest.mark.parametrize("op", **by_id(WRITE_OPERATIONS))
def test_any_kbn_xsrf_value_is_accepted(op, value, kibana, resources, run_prefix):
    request = valid_request(op.id, run_prefix, resources)
    response = request.send(kibana, xsrf=False, headers={"kbn-xsrf": value})
    expect_success(response, f"{XSRF_DOC} (Kibana checks that the header is present, whatever its value)")


@pytest.mark.requirement("HDR-VERSION-DEFAULT", category="headers", doc=VERSION_DOC)
@pytest.mark.parametrize("op", **by_id(OPERATIONS))
def test_missing_version_takes_the_default(op, kibana, resources, run_prefix):
    request = valid_request(op.id, run_prefix, resources)
    response = request.send(kibana)
    expect_success(response, "Default value is 2023-10-31: a request without elastic-api-version is served")
    received = response.headers.get("elastic-api-version")
    expect(
        received == API_VERSION,
        f"{op.label}: the response does not name the version that served it",
        received=f"elastic-api-version: {received}",
        documented=f"elastic-api-version: {API_VERSION} on every successful response",
    )


@pytest.mark.requirement("HDR-VERSION-MALFORMED", category="headers", doc=VERSION_DOC)
@pytest.mark.parametrize("version", ["2023-10", "latest", "31-10-2023", "2023-10-31x"])
@pytest.mark.parametrize("op", **by_id(VERSIONED_OPERATIONS))
def test_malformed_version_is_refused(op, version, kibana, resources, run_prefix):
    response = valid_request(op.id, run_prefix, resources).send(kibana, headers={"elastic-api-version": version})
    expected = f'Invalid version. Received "{version}", expected a valid date string formatted as YYYY-MM-DD.'
    expect_envelope(op, response, 400, expected)


@pytest.mark.requirement("HDR-VERSION-UNKNOWN", category="headers", doc=VERSION_DOC)
@pytest.mark.parametrize("op", **by_id(VERSIONED_OPERATIONS))
def test_unknown_version_is_refused(op, kibana, resources, run_prefix):
    version = "2019-01-01"
    response = valid_request(op.id, run_prefix, resources).send(kibana, headers={"elastic-api-version": version})
    expected = (
        f'No version "{version}" available for [{op.method.lower()}] [{op.path}]. '
        f"Available versions are: [{API_VERSION}]"
    )
    expect_envelope(op, response, 400, expected)


UNPARSED_DOC = (
    "application/json: the request body's media type. (Kibana leaves hapi's payload types as they are: JSON, form data, "
    "octet-stream and text are parsed, any other media type is refused with 415 Unsupported Media Type)"
)
# Kibana never reads the body of a GET (the streams schema's decision get-body-ignored): only writes are asked.
BODY_WRITES = [op for op in JSON_BODY_OPERATIONS if op.method != "GET"]


@pytest.mark.requirement("HDR-UNPARSED-MEDIA-TYPE", category="headers", doc=UNPARSED_DOC)
@pytest.mark.parametrize("op", **by_id(BODY_WRITES))
def test_body_of_a_media_type_kibana_does_not_parse_is_refused(op, kibana, resources, run_prefix):
    request = valid_request(op.id, run_prefix, resources)
    response = kibana.request(
        op.method, request.path, content=json.dumps(request.json_body), headers={"content-type": "application/xml"}, params=request.query or None
    )
    expect_envelope(op, response, 415)


@pytest.mark.requirement("HDR-JSON-CHARSET", category="headers", doc="application/json: the request body's media type (a charset parameter does not change it)")
@pytest.mark.parametrize("op", **by_id(JSON_BODY_OPERATIONS))
def test_json_body_with_a_charset_is_accepted(op, kibana, resources, run_prefix):
    request = valid_request(op.id, run_prefix, resources)
    body = request.json_body if request.json_body is not None else {}  # an optional body: the empty object
    response = kibana.request(
        op.method, request.path, content=json.dumps(body), headers={"content-type": "application/json; charset=utf-8"}, params=request.query or None
    )
    expect_success(response, "a JSON body sent as application/json; charset=utf-8 is JSON")
