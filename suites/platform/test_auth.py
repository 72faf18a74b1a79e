"""Authentication: every operation refuses missing and wrong credentials, and a refusal changes nothing."""

from __future__ import annotations

import pytest

from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_envelope, expect_success
from kibana_conformance.suite.operations import OPERATIONS, by_id
from kibana_conformance.suite.profiles import exception_item_body, valid_request

AUTH_DOC = "401 Unauthorized response: authorization information is missing or invalid."


@pytest.mark.requirement("AUTH-MISSING", category="auth", doc=AUTH_DOC)
@pytest.mark.parametrize("op", **by_id(OPERATIONS))
def test_no_credentials_get_401(op, kibana, resources, run_prefix):
    response = valid_request(op.id, run_prefix, resources).send(kibana, auth="none")
    expect_envelope(op, response, 401, with_run_credentials=False)


@pytest.mark.requirement("AUTH-WRONG", category="auth", doc=AUTH_DOC)
@pytest.mark.parametrize("kind", ["basic", "apikey", "apikey-clear"])
@pytest.mark.parametrize("op", **by_id(OPERATIONS))
def test_wrong_credentials_get_401(op, kind, kibana, resources, run_prefix):
    """Wrong credentials of both kinds Kibana accepts, whatever kind the run itself uses, and an API key not Base64-encoded."""
    response = valid_request(op.id, run_prefix, resources).send(kibana, auth=f"wrong-{kind}")
    expect_envelope(op, response, 401, with_run_credentials=False)


SCHEME_DOC = "Authorization: Basic or ApiKey credentials; an authentication scheme is case-insensitive (RFC 9110, section 11.1)"
READ_OPERATIONS = [op for op in OPERATIONS if not op.is_write]


@pytest.mark.requirement("AUTH-SCHEME-CASE", category="auth", doc=SCHEME_DOC)
@pytest.mark.parametrize("case", ["lower", "upper"])
@pytest.mark.parametrize("op", **by_id(READ_OPERATIONS))
def test_the_scheme_is_case_insensitive(op, case, kibana, resources, run_prefix):
    scheme, _, credentials = kibana.auth_header.get("Authorization", "").partition(" ")
    if not scheme:
        pytest.skip("the run sends no credentials")
    written = scheme.lower() if case == "lower" else scheme.upper()
    response = valid_request(op.id, run_prefix, resources).send(kibana, auth="none", headers={"Authorization": f"{written} {credentials}"})
    expect_success(response, f"{SCHEME_DOC}: {written} is {scheme}")


REFUSED_DOC = "A request refused with 401 is not carried out."


@pytest.mark.requirement("AUTH-REFUSED-NO-EFFECT", category="auth", doc=REFUSED_DOC, operation="put-fleet-package-policies-packagepolicyid")
def test_refused_package_policy_update_changes_no_revision(kibana, resources, run_prefix):
    request = valid_request("put-fleet-package-policies-packagepolicyid", run_prefix, resources)
    first = request.send(kibana)  # a missing package policy skips the test (see Target.request)
    expect_success(first, "Update a package policy by ID.")
    request.send(kibana, auth="none")
    request.send(kibana, auth="wrong")
    second = request.send(kibana)
    expect_success(second, "Update a package policy by ID.")
    revision = "Update a package policy by ID. Responses: item: revision number Required"
    before = read.member(read.item(first, documented=revision), "revision", (int, float), where="item", documented=revision)
    after = read.member(read.item(second, documented=revision), "revision", (int, float), where="item", documented=revision)
    expect(after == before + 1, "refused updates changed the package policy", received=f"revision {before}, then {after} after two refused updates and one accepted", documented=REFUSED_DOC)


@pytest.mark.requirement("AUTH-REFUSED-NO-EFFECT", category="auth", doc=REFUSED_DOC, operation="put-exception-lists-items")
def test_refused_exception_item_update_keeps_the_version(kibana, resources, run_prefix):
    path, uses = "/api/exception_lists/items", ("exceptionItemId",)
    first = kibana.request("PUT", path, json_body=exception_item_body(run_prefix, resources), uses=uses)
    documented = "Update an exception list item using the id or item_id field. Responses: _version string"
    expect_success(first, documented)
    version = read.member(read.body(first, dict, documented=documented), "_version", str, where="the item", documented=documented)
    body = exception_item_body(run_prefix, resources, _version=version, name=f"{run_prefix}refused")
    kibana.request("PUT", path, json_body=body, auth="none", uses=uses)
    kibana.request("PUT", path, json_body=body, auth="wrong", uses=uses)
    again = kibana.request("PUT", path, json_body=exception_item_body(run_prefix, resources, _version=version), uses=uses)
    expect_success(again, f"_version {version} is still the latest after refused updates, so an update with it succeeds")


@pytest.mark.requirement("AUTH-REFUSED-NO-EFFECT", category="auth", doc=REFUSED_DOC, operation="post-security-ai-assistant-current-user-conversations")
def test_refused_conversation_is_not_created(kibana, run_prefix):
    body = {"title": f"{run_prefix}refused", "id": f"{run_prefix}refused-conversation"}
    path = "/api/security_ai_assistant/current_user/conversations"
    kibana.request("POST", path, json_body=body, auth="none")
    kibana.request("POST", path, json_body=body, auth="wrong")
    created = kibana.request("POST", path, json_body=body)
    expect_success(created, "the id of a refused creation is still free")


@pytest.mark.requirement("AUTH-REFUSED-NO-EFFECT", category="auth", doc=REFUSED_DOC, operation="put-fleet-settings")
def test_refused_settings_update_changes_nothing(kibana):
    current = kibana.request("PUT", "/api/fleet/settings", json_body={})
    documented = "PUT /api/fleet/settings with no field is a no-op update"
    expect_success(current, documented)
    flag = read.item(current, documented=documented).get("prerelease_integrations_enabled", False)
    change = {"prerelease_integrations_enabled": not flag}
    kibana.request("PUT", "/api/fleet/settings", json_body=change, auth="none")
    kibana.request("PUT", "/api/fleet/settings", json_body=change, auth="wrong")
    after = kibana.request("PUT", "/api/fleet/settings", json_body={})
    expect_success(after, documented)
    received = read.item(after, documented=documented).get("prerelease_integrations_enabled", False)
    expect(received == flag, "a refused settings update was applied", received=f"prerelease_integrations_enabled {received}", documented=REFUSED_DOC)
