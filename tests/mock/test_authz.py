"""The mock's principals: seeded users holding exactly their privileges, the route checks with Kibana's 403."""

from __future__ import annotations

import httpx
import pytest

from kibana_conformance import fixture_ids
from kibana_conformance.mock import MockServer
from kibana_conformance.mock.config import principal_user

from ..helpers import assert_conforms

REMOTE_STATUS = f"/api/fleet/remote_synced_integrations/{fixture_ids.REMOTE_OUTPUT_ID}/remote_status"


def as_principal(mock_server: MockServer, name: str, method: str, path: str, **kwargs) -> httpx.Response:
    user = principal_user(name)
    return httpx.request(method, mock_server.url + path, auth=(user.username, user.password), headers={"kbn-xsrf": "true"}, timeout=10, **kwargs)


@pytest.mark.parametrize(
    ("name", "method", "path", "status"),
    [
        ("fleet-agents-read", "GET", "/api/fleet/agent_status/data?agentsIds=a1", 200),
        ("fleet-settings-read", "GET", "/api/fleet/agent_status/data?agentsIds=a1", 403),
        ("integrations-read", "GET", "/api/fleet/epm/packages", 200),
        ("fleet-setup", "GET", "/api/fleet/epm/packages", 200),
        ("fleet-all", "GET", "/api/fleet/epm/packages", 200),
        ("lists-all", "GET", "/api/fleet/epm/packages", 403),
        ("fleet-agent-policies-read", "GET", f"/api/fleet/outputs/{fixture_ids.OUTPUT_ID}", 200),
        ("integrations-read", "GET", f"/api/fleet/outputs/{fixture_ids.OUTPUT_ID}", 403),
        ("fleet-settings-read", "GET", REMOTE_STATUS, 403),
        ("integrations-read", "GET", REMOTE_STATUS, 403),
        ("integrations-read+fleet-settings-read", "GET", REMOTE_STATUS, 200),
        ("fleet-settings-read", "PUT", "/api/fleet/settings", 403),
        ("fleet-settings-all", "PUT", "/api/fleet/settings", 200),
    ],
)
def test_route_privileges(api: httpx.Client, mock_server: MockServer, name: str, method: str, path: str, status: int) -> None:
    kwargs = {"json": {}} if method == "PUT" else {}
    response = as_principal(mock_server, name, method, path, **kwargs)
    assert response.status_code == status, response.text


def test_the_403_is_kibanas_with_the_missing_privileges_and_the_query(api: httpx.Client, mock_server: MockServer) -> None:
    response = as_principal(mock_server, "none", "GET", "/s/kct-other/api/fleet/epm/packages?prerelease=true")
    assert response.status_code == 403
    assert_conforms("get-fleet-epm-packages", response)
    assert response.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "API [GET /api/fleet/epm/packages?prerelease=true] is unauthorized for user, this action is granted by the Kibana privileges [integrations-read,fleet-setup,fleet-all]",
    }
    half = as_principal(mock_server, "fleet-settings-read", "GET", REMOTE_STATUS)
    assert half.json()["message"].endswith("granted by the Kibana privileges [integrations-read]")


def test_exception_item_update_needs_lists_all(api: httpx.Client, mock_server: MockServer) -> None:
    response = as_principal(mock_server, "cases-read", "PUT", "/api/exception_lists/items", json={})
    assert response.status_code == 403
    assert response.json()["message"] == "API [PUT /api/exception_lists/items] is unauthorized for user, this action is granted by the Kibana privileges [lists-all]"


def test_authorization_comes_after_authentication(anonymous: httpx.Client) -> None:
    assert anonymous.put("/api/fleet/settings", json={}).status_code == 401


@pytest.mark.parametrize(
    ("name", "privileges", "status", "missing"),
    [
        ("manage_own_api_key+event:write", ["event:write"], 200, None),
        ("manage_own_api_key", ["event:write"], 403, "missing the following requested privilege(s): event:write."),
        ("event:write", ["event:write"], 403, "and following cluster privileges - manage_own_api_key privilege(s)"),
        ("manage_own_api_key+event:write", ["event:write", "config_agent:read"], 403, "requested privilege(s): config_agent:read."),
    ],
)
def test_agent_keys_need_manage_own_api_key_and_the_granted_privileges(api: httpx.Client, mock_server: MockServer, name: str, privileges: list[str], status: int, missing: str | None) -> None:
    response = as_principal(mock_server, name, "POST", "/api/apm/agent_keys", json={"name": "k", "privileges": privileges})
    assert response.status_code == status, response.text
    if missing:
        assert missing in response.json()["message"]
        assert response.json()["message"].startswith(principal_user(name).username)


@pytest.mark.parametrize(("name", "owners"), [("cases-read", ["cases"]), ("observability-cases-read", ["observability"]), ("security-cases-read", ["securitySolution"])])
def test_case_settings_are_those_of_readable_owners(api: httpx.Client, mock_server: MockServer, name: str, owners: list[str]) -> None:
    response = as_principal(mock_server, name, "GET", "/api/cases/configure")
    assert response.status_code == 200
    assert_conforms("get-cases-configure", response)
    assert [c["owner"] for c in response.json()] == owners
    other = "observability" if owners != ["observability"] else "cases"
    assert as_principal(mock_server, name, "GET", "/api/cases/configure", params={"owner": other}).json() == []


def test_case_settings_refuse_a_caller_who_reads_no_owner(api: httpx.Client, mock_server: MockServer) -> None:
    response = as_principal(mock_server, "none", "GET", "/api/cases/configure")
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"


def test_the_superuser_keeps_every_privilege(api: httpx.Client) -> None:
    assert api.put("/api/fleet/settings", json={}).status_code == 200
    assert len(api.get("/api/cases/configure").json()) == 3


def test_users_from_a_file_hold_exactly_their_privileges(tmp_path) -> None:
    from kibana_conformance.mock import MockConfig
    from kibana_conformance.mock.config import load_users, seeded_users

    users_file = tmp_path / "users.yaml"
    users_file.write_text("- username: ops\n  password: ops-pw\n  privileges: [fleet-settings-read]\n")
    with MockServer(MockConfig(users=seeded_users() + load_users(users_file))) as mock:
        ops = httpx.Client(base_url=mock.url, auth=("ops", "ops-pw"), headers={"kbn-xsrf": "t"})
        assert ops.get(f"/api/fleet/outputs/{fixture_ids.OUTPUT_ID}").status_code == 200
        refused = ops.put("/api/fleet/settings", json={})
        assert refused.status_code == 403 and "fleet-settings-all" in refused.json()["message"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- username: a\n  password: b\n  privileges: [root]\n", "entry 1: unknown privilege 'root'"),
        ("- username: a\n  privileges: []\n", "entry 1 needs exactly username, password and privileges"),
        ("username: a\n", "holds a list of {username, password, privileges}"),
        ("- [unclosed\n", "is not valid JSON or YAML"),
    ],
)
def test_a_bad_users_file_is_one_line_and_exit_2(tmp_path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    from kibana_conformance.cli import main

    users_file = tmp_path / "users.yaml"
    users_file.write_text(text)
    assert main(["mock", "--port", "0", "--users", str(users_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
