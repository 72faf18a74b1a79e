"""Behaviour real Kibana has where the document is silent or says otherwise: a target that has it
passes (no false alarm), whichever way the document reads. Each case cites where Kibana does it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kibana_conformance.mock import MockServer

from .conftest import CREDENTIALS, assert_readable, proxy_to, run_cli
from .servers import Handler, Rule

# x-pack/platform/plugins/shared/fleet/server/types/rest_spec/settings.ts (and the package policy
# route): the body is a schema.object, not schema.maybe, and Kibana hands an absent body to it as null.
NULL_BODY = {"statusCode": 400, "error": "Bad Request", "message": "[request body]: expected a plain object value, but found [null] instead."}


def _refuse_a_missing_body(h: Handler) -> None:
    if h.command == "PUT" and not h.body:
        h.send_bytes(400, json.dumps(NULL_BODY).encode(), "application/json; charset=utf-8", {"elastic-api-version": "2023-10-31"})
        return
    h.forward()


@pytest.mark.slow(seconds=11)
def test_a_missing_body_refused_as_kibana_does_is_no_failure(tmp_path: Path, kibana_mock: MockServer) -> None:
    """The document lets these bodies out; Kibana refuses a request without one. Neither is blamed:
    the property tests do not judge a body-less case there. With this seed the negative property
    test of put-fleet-settings sent one and reported Kibana's 400 as "schema-valid request rejected"
    (found by a blind test against an independent Kibana-like server)."""
    operations = "put-fleet-settings,put-fleet-package-policies-packagepolicyid"
    with proxy_to(kibana_mock, Rule(r"^/api/fleet/(settings|package_policies/.*)$", _refuse_a_missing_body)) as proxy:
        run = run_cli(tmp_path, "--base-url", proxy.url, *CREDENTIALS, "--operation", operations, "--seed", "434237529")
    assert run.returncode == 0, run.describe()
    assert_readable(run)
    properties = [t for t in run.tests() if t["requirement"] == "SCHEMA-PROPERTIES"]
    assert len(properties) == 4 and {t["outcome"] for t in properties} == {"passed"}, properties
    assert not [s for s in proxy.seen if s.method == "PUT" and not s.body]
