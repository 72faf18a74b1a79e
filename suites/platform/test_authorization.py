"""Authorization: the privileges the document states, per operation.

Each test calls as a principal that holds exactly the privileges its name lists (``--principal``;
README, section Authorization): a caller lacking the privilege gets 403 with Kibana's envelope and
nothing changes; a caller with exactly the privilege succeeds; an AND needs every privilege, an OR
accepts each alternative alone; ``none`` is refused; missing credentials stay 401.
A test whose principal was not given is skipped with the option to pass.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kibana_conformance.authz import CASES_READ_OWNERS, NONE, ROUTE_PRIVILEGES, canonical, forbidden_message
from kibana_conformance.catalog import load_catalog
from kibana_conformance.contract import envelope_problems
from kibana_conformance.findings import AuthorizationFailure
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import body_of, describe, expect, expect_envelope, expect_success
from kibana_conformance.suite.profiles import exception_item_body, valid_request

CATALOG = load_catalog()
LISTS_DOC = "403 example: API [PUT /api/exception_lists/items] is unauthorized for user, this action is granted by the Kibana privileges [lists-all]"
APM_DOC = (
    "The user creating an APM agent API key must have at least the manage_own_api_key cluster privilege "
    "and the APM application-level privileges that it wishes to grant."
)
CASES_DOC = (
    "You must have read privileges for the Cases feature in the Management, Observability, or Security section of the Kibana feature "
    "privileges, depending on where the cases were created. If this parameter is omitted, the response contains information about all "
    "the cases that the user has access to read."
)
REQUIREMENTS = {
    "get-fleet-agent-status-data": "AUTHZ-FLEET-AGENTS-READ",
    "get-fleet-epm-packages": "AUTHZ-FLEET-PACKAGES-ANY",
    "get-fleet-outputs-outputid": "AUTHZ-FLEET-OUTPUTS-ANY",
    "get-fleet-remote-synced-integrations-outputid-remote-status": "AUTHZ-FLEET-REMOTE-STATUS-ALL",
    "put-fleet-settings": "AUTHZ-FLEET-SETTINGS-ALL",
    "put-exception-lists-items": "AUTHZ-LISTS-ALL",
}
# A privilege of the same plugin that does not grant the route (besides `none`), for a route of one privilege.
NEAR_MISS = {
    "get-fleet-agent-status-data": "fleet-settings-read",
    "get-fleet-epm-packages": "lists-all",
    "get-fleet-outputs-outputid": "integrations-read",
    "put-fleet-settings": "fleet-settings-read",
    "put-exception-lists-items": "cases-read",
}


def _mark(op_id: str) -> Any:
    return pytest.mark.requirement(REQUIREMENTS[op_id], category="authorization", doc=ROUTE_DOCS[op_id], operation=op_id)


ROUTE_DOCS = {
    "get-fleet-agent-status-data": "Route required privileges: fleet-agents-read.",
    "get-fleet-epm-packages": "Route required privileges: integrations-read OR fleet-setup OR fleet-all.",
    "get-fleet-outputs-outputid": "Route required privileges: fleet-settings-read OR fleet-agent-policies-read.",
    "get-fleet-remote-synced-integrations-outputid-remote-status": "Route required privileges: fleet-settings-read AND integrations-read.",
    "put-fleet-settings": "Route required privileges: fleet-settings-all.",
    "put-exception-lists-items": LISTS_DOC,
}


def _granted_cases() -> list[Any]:
    cases = []
    for op_id, (kind, required) in ROUTE_PRIVILEGES.items():
        holders = [canonical("+".join(required))] if kind == "all" else list(required)
        cases += [pytest.param(op_id, name, marks=_mark(op_id), id=f"{op_id}-{name}") for name in holders]
    return cases


def _refused_cases() -> list[Any]:
    cases = []
    for op_id, (kind, required) in ROUTE_PRIVILEGES.items():
        lacking = [NONE]
        if kind == "all" and len(required) > 1:
            lacking += list(required)  # an AND: each privilege alone is refused
        if op_id in NEAR_MISS:
            lacking.append(NEAR_MISS[op_id])
        cases += [pytest.param(op_id, name, marks=_mark(op_id), id=f"{op_id}-{name}") for name in lacking]
    return cases


def _path_and_query(kibana: Any, response: httpx.Response) -> str:
    """What Kibana's 403 names: the path without the space prefix, and the query as sent."""
    raw = response.request.url.raw_path.decode(errors="replace")
    if kibana.space_prefix and raw.startswith(kibana.space_prefix + "/"):
        raw = raw[len(kibana.space_prefix) :]
    return raw


def expect_refused(op_id: str, response: httpx.Response, principal: str, documented: str, message: str | None = None) -> None:
    """403 with Kibana's envelope (and, if given, exactly Kibana's message): never a success, a 401 or a 404."""
    op = CATALOG.get(op_id)
    body = body_of(response)
    if response.status_code != 403:
        granted = 200 <= response.status_code < 300
        summary = f"{describe(response)} as {principal!r} " + ("succeeded without the required privilege" if granted else f"answered {response.status_code}, not 403")
        raise AuthorizationFailure(summary, f"{response.status_code} {str(body)[:300]}", documented, operation=op_id)
    problems = envelope_problems(op, 403, body)
    if message is not None and isinstance(body, dict) and body.get("message") != message:
        problems.append(f"message is {body.get('message')!r}")
    if problems:
        wanted = f"Kibana's 403 envelope with message {message!r}" if message else "Kibana's {statusCode: 403, error: 'Forbidden', message} envelope"
        raise AuthorizationFailure(f"{describe(response)} as {principal!r}: the 403 body is not Kibana's", "; ".join(problems), wanted, operation=op_id)


def expect_granted(op_id: str, response: httpx.Response, principal: str, documented: str) -> None:
    """A caller holding exactly the stated privileges is served (a 403 here is the finding, not a skip)."""
    if not 200 <= response.status_code < 300:
        raise AuthorizationFailure(
            f"{describe(response)} as {principal!r} was refused ({response.status_code}) although the principal holds the required privileges",
            f"{response.status_code} {str(body_of(response))[:300]}",
            f"{documented} (the principal {principal!r} holds exactly: {principal.replace('+', ', ')})",
            operation=op_id,
        )


def _route_request(op_id: str, run_prefix: str, resources: Any) -> Any:
    request = valid_request(op_id, run_prefix, resources)
    if op_id == "put-fleet-settings":
        return request.with_body({})  # a no-op update: what is granted changes nothing
    return request


# --- route privileges (Fleet, exception list items) ---------------------------------------------


@pytest.mark.parametrize(("op_id", "principal"), _granted_cases())
def test_a_caller_with_the_route_privileges_is_served(op_id, principal, kibana, resources, run_prefix):
    response = _route_request(op_id, run_prefix, resources).send(kibana, auth=f"as:{principal}")
    expect_granted(op_id, response, principal, ROUTE_DOCS[op_id])


@pytest.mark.parametrize(("op_id", "principal"), _refused_cases())
def test_a_caller_without_the_route_privileges_is_refused(op_id, principal, kibana, resources, run_prefix):
    response = _route_request(op_id, run_prefix, resources).send(kibana, auth=f"as:{principal}")
    kind, required = ROUTE_PRIVILEGES[op_id]
    held = frozenset() if principal == NONE else frozenset(principal.split("+"))
    missing = [p for p in required if p not in held]
    expect_refused(op_id, response, principal, ROUTE_DOCS[op_id], forbidden_message(CATALOG.get(op_id).method, _path_and_query(kibana, response), missing))


@pytest.mark.requirement("AUTHZ-FLEET-SETTINGS-ALL", category="authorization", doc=ROUTE_DOCS["put-fleet-settings"], operation="put-fleet-settings")
@pytest.mark.parametrize("principal", ["fleet-settings-read", NONE])
def test_a_refused_settings_update_changes_nothing(principal, kibana):
    documented = "PUT /api/fleet/settings with no field is a no-op update"
    current = kibana.request("PUT", "/api/fleet/settings", json_body={})
    expect_success(current, documented)
    flag = read.item(current, documented=documented).get("prerelease_integrations_enabled", False)
    refused = kibana.request("PUT", "/api/fleet/settings", json_body={"prerelease_integrations_enabled": not flag}, auth=f"as:{principal}")
    expect_refused("put-fleet-settings", refused, principal, ROUTE_DOCS["put-fleet-settings"])
    after = kibana.request("PUT", "/api/fleet/settings", json_body={})
    expect_success(after, documented)
    received = read.item(after, documented=documented).get("prerelease_integrations_enabled", False)
    if received != flag:
        raise AuthorizationFailure(
            f"a settings update refused to {principal!r} was applied",
            f"prerelease_integrations_enabled {received} after the refused update (was {flag})",
            ROUTE_DOCS["put-fleet-settings"],
            operation="put-fleet-settings",
        )


@pytest.mark.requirement("AUTHZ-LISTS-ALL", category="authorization", doc=LISTS_DOC, operation="put-exception-lists-items")
def test_a_refused_exception_item_update_keeps_the_version(kibana, resources, run_prefix):
    path, uses = "/api/exception_lists/items", ("exceptionItemId",)
    documented = "Update an exception list item using the id or item_id field. Responses: _version string"
    first = kibana.request("PUT", path, json_body=exception_item_body(run_prefix, resources), uses=uses)
    expect_success(first, documented)
    version = read.member(read.body(first, dict, documented=documented), "_version", str, where="the item", documented=documented)
    refused = kibana.request("PUT", path, json_body=exception_item_body(run_prefix, resources, _version=version, name=f"{run_prefix}refused"), auth=f"as:{NONE}", uses=uses)
    expect_refused("put-exception-lists-items", refused, NONE, LISTS_DOC, forbidden_message("PUT", _path_and_query(kibana, refused), ["lists-all"]))
    again = kibana.request("PUT", path, json_body=exception_item_body(run_prefix, resources, _version=version), uses=uses)
    if again.status_code == 409:
        raise AuthorizationFailure("an exception item update refused with 403 was applied", f"409: _version {version} is no longer the latest", LISTS_DOC, operation="put-exception-lists-items")
    expect_success(again, f"_version {version} is still the latest after a refused update, so an update with it succeeds")


# --- APM agent keys: manage_own_api_key and the APM privileges granted ------------------------------

APM_OP = "post-apm-agent-keys"
APM_HOLDER = canonical("manage_own_api_key+event:write")


def _agent_key(kibana: Any, resources: Any, run_prefix: str, principal: str, privileges: list[str]) -> httpx.Response:
    body = {"name": f"{run_prefix}authz-{principal.replace(':', '-').replace('+', '-')}", "privileges": privileges}
    return valid_request(APM_OP, run_prefix, resources).with_body(body).send(kibana, auth=f"as:{principal}")


@pytest.mark.requirement("AUTHZ-APM-AGENT-KEYS", category="authorization", doc=APM_DOC, operation=APM_OP)
def test_an_agent_key_granting_what_the_caller_holds_is_created(kibana, resources, run_prefix):
    expect_granted(APM_OP, _agent_key(kibana, resources, run_prefix, APM_HOLDER, ["event:write"]), APM_HOLDER, APM_DOC)


@pytest.mark.requirement("AUTHZ-APM-AGENT-KEYS", category="authorization", doc=APM_DOC, operation=APM_OP)
@pytest.mark.parametrize(
    ("principal", "privileges"),
    [
        pytest.param("manage_own_api_key", ["event:write"], id="without-the-apm-privilege"),
        pytest.param("event:write", ["event:write"], id="without-manage_own_api_key"),
        pytest.param(APM_HOLDER, ["event:write", "config_agent:read"], id="granting-more-than-held"),
        pytest.param(NONE, ["event:write"], id="none"),
    ],
)
def test_an_agent_key_granting_what_the_caller_lacks_is_refused(principal, privileges, kibana, resources, run_prefix):
    expect_refused(APM_OP, _agent_key(kibana, resources, run_prefix, principal, privileges), principal, APM_DOC)


# --- Cases settings: the owners the caller may read -------------------------------------------------

CASES_OP = "get-cases-configure"


def _configurations(response: httpx.Response, documented: str) -> list[dict[str, Any]]:
    items = read.body(response, list, documented=documented)
    return [item for item in items if isinstance(item, dict)]


@pytest.mark.requirement("AUTHZ-CASES-OWNERS", category="authorization", doc=CASES_DOC, operation=CASES_OP)
@pytest.mark.parametrize("principal", list(CASES_READ_OWNERS))
def test_case_settings_are_only_those_of_owners_the_caller_may_read(principal, kibana):
    owner = CASES_READ_OWNERS[principal]
    everything = kibana.request("GET", "/api/cases/configure")
    expect_success(everything, CASES_DOC)
    mine = kibana.request("GET", "/api/cases/configure", auth=f"as:{principal}")
    expect_granted(CASES_OP, mine, principal, CASES_DOC)
    seen = _configurations(mine, CASES_DOC)
    foreign = sorted({str(c.get("owner")) for c in seen if c.get("owner") != owner})
    if foreign:
        raise AuthorizationFailure(
            f"GET /api/cases/configure as {principal!r} answered settings of owners it may not read",
            f"owners {foreign} besides {owner!r}",
            CASES_DOC,
            operation=CASES_OP,
        )
    expected_ids = {c.get("id") for c in _configurations(everything, CASES_DOC) if c.get("owner") == owner}
    received_ids = {c.get("id") for c in seen}
    expect(expected_ids <= received_ids, f"GET /api/cases/configure as {principal!r} left out settings of its own owner", received=sorted(map(str, received_ids)), documented=f"{CASES_DOC} (every configuration of owner {owner!r})")


@pytest.mark.requirement("AUTHZ-CASES-OWNERS", category="authorization", doc=CASES_DOC, operation=CASES_OP)
def test_an_owner_filter_does_not_reach_owners_the_caller_may_not_read(kibana):
    principal = "cases-read"
    for other in ("observability", "securitySolution"):
        response = kibana.request("GET", "/api/cases/configure", params={"owner": other}, auth=f"as:{principal}")
        if response.status_code == 403:
            expect_refused(CASES_OP, response, principal, CASES_DOC)
            continue
        expect_granted(CASES_OP, response, principal, CASES_DOC)
        leaked = [c.get("id") for c in _configurations(response, CASES_DOC) if c.get("owner") == other]
        if leaked:
            raise AuthorizationFailure(f"GET /api/cases/configure?owner={other} as {principal!r} answered settings it may not read", f"configurations {leaked}", CASES_DOC, operation=CASES_OP)


@pytest.mark.requirement("AUTHZ-CASES-OWNERS", category="authorization", doc=CASES_DOC, operation=CASES_OP)
def test_case_settings_refuse_a_caller_without_cases_privileges(kibana):
    expect_refused(CASES_OP, kibana.request("GET", "/api/cases/configure", auth=f"as:{NONE}"), NONE, CASES_DOC)


# --- 401 stays 401 --------------------------------------------------------------------------------

UNAUTHENTICATED_DOC = "401 Unauthorized response: authorization information is missing or invalid."
AUTHORIZED_OPS = [*ROUTE_PRIVILEGES, APM_OP, CASES_OP]


@pytest.mark.requirement("AUTHZ-401-NOT-403", category="authorization", doc=UNAUTHENTICATED_DOC)
@pytest.mark.parametrize("operation_id", AUTHORIZED_OPS)
def test_missing_credentials_stay_401_where_a_caller_without_privileges_gets_403(operation_id, kibana, resources, run_prefix):
    op_id = operation_id
    request = valid_request(op_id, run_prefix, resources)
    if op_id == "put-fleet-settings":
        request = request.with_body({})
    anonymous = request.send(kibana, auth="none")
    op = CATALOG.get(op_id)
    if anonymous.status_code == 403:
        raise AuthorizationFailure(f"{describe(anonymous)} without credentials answered 403", f"403 {str(body_of(anonymous))[:300]}", f"{UNAUTHENTICATED_DOC} (401 before any privilege check)", operation=op_id)
    expect_envelope(op, anonymous, 401, with_run_credentials=False)
    unprivileged = request.send(kibana, auth=f"as:{NONE}")
    expect_refused(op_id, unprivileged, NONE, "an authenticated caller without the privilege: 403")
