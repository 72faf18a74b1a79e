"""Fleet: settings and outputs are deployment-wide, package policies belong to a space."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from ..helpers import API_KEY_ID_AND_SECRET, USERNAME, assert_conforms

SETTINGS = "put-fleet-settings"
OUTPUT = "get-fleet-outputs-outputid"
REMOTE_STATUS = "get-fleet-remote-synced-integrations-outputid-remote-status"
AGENT_DATA = "get-fleet-agent-status-data"
PACKAGES = "get-fleet-epm-packages"
POLICY = "put-fleet-package-policies-packagepolicyid"

SYSTEM = "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"
NGINX = "8c6e2f4a-1b3d-4e5f-a7c9-0d2e4f6a8b1c"
FLEET_SERVER = "5b0d6e3c-9f2a-4d71-8e4b-2a6c1f9d3e57"
AGENT_WITH_DATA = "3e7a9c1b-5d2f-4a8e-b6c4-2f9d1e3a5c7b"
AGENT_WITHOUT_DATA = "9d4b6f8a-2c1e-4e5d-8b3a-6f0c2e4a6b8d"
SIMPLIFIED_IDENTITY = {
    NGINX: ("nginx-web-frontends", {"name": "nginx", "version": "1.24.0"}),
    SYSTEM: ("system-1", {"name": "system", "version": "1.64.0"}),
}


def seq_no(version: str) -> int:
    seq, primary_term = json.loads(base64.b64decode(version))
    assert primary_term == 1
    return seq


def put_settings(api: httpx.Client, body: Any = None, prefix: str = "") -> httpx.Response:
    response = api.put(f"{prefix}/api/fleet/settings", json=body) if body is not None else api.put(f"{prefix}/api/fleet/settings")
    assert_conforms(SETTINGS, response)
    return response


def put_policy(api: httpx.Client, policy_id: str, body: dict[str, Any], prefix: str = "", query: str = "") -> httpx.Response:
    response = api.put(f"{prefix}/api/fleet/package_policies/{policy_id}{query}", json=body)
    assert_conforms(POLICY, response)
    return response


def simplified_body(body: dict[str, Any], policy_id: str = "") -> dict[str, Any]:
    """A simplified-shape body: Kibana requires the policy's name and package beside the inputs."""
    name, package = SIMPLIFIED_IDENTITY[policy_id or NGINX]
    return {"name": name, "package": package, **body}


def fleet_error(response: httpx.Response, status: int, error_type: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["errorType"] == error_type
    return body["message"]


# --- settings ---------------------------------------------------------------------


def test_settings_update_persists_and_echoes_all_stored_fields(api: httpx.Client) -> None:
    first = put_settings(api, {"kibana_urls": ["https://kibana.example.com:5601"], "additional_yaml_config": "agent.logging.level: debug"})
    assert first.status_code == 200
    item = first.json()["item"]
    assert item["kibana_urls"] == ["https://kibana.example.com:5601"]
    assert item["additional_yaml_config"] == "agent.logging.level: debug"
    assert item["id"] == "fleet-default-settings"
    assert item["has_seen_add_data_notice"] is True
    second = put_settings(api, {"prerelease_integrations_enabled": True}).json()["item"]
    assert second["prerelease_integrations_enabled"] is True
    assert second["kibana_urls"] == ["https://kibana.example.com:5601"]
    assert second["additional_yaml_config"] == "agent.logging.level: debug"


def test_settings_nested_object_needs_both_flags(api: httpx.Client) -> None:
    # Kibana's PutSettingsRequestSchema: delete_unenrolled_agents is {enabled, is_preconfigured}, both required.
    assert put_settings(api, {"delete_unenrolled_agents": {"enabled": True}}).status_code == 400
    item = put_settings(api, {"delete_unenrolled_agents": {"enabled": True, "is_preconfigured": False}}).json()["item"]
    assert item["delete_unenrolled_agents"] == {"enabled": True, "is_preconfigured": False}


@pytest.mark.parametrize("body", [None, {}])
def test_settings_empty_update_is_a_no_op_with_a_new_version(api: httpx.Client, body: Any) -> None:
    before = put_settings(api, {}).json()["item"]
    after = put_settings(api, body)
    assert after.status_code == 200
    item = after.json()["item"]
    assert seq_no(item.pop("version")) > seq_no(before.pop("version"))
    assert item == before


def test_settings_every_update_issues_an_increasing_version(api: httpx.Client) -> None:
    versions = [put_settings(api, {"has_seen_add_data_notice": i % 2 == 0}).json()["item"]["version"] for i in range(6)]
    numbers = [seq_no(v) for v in versions]
    assert numbers == sorted(set(numbers))


def test_settings_unknown_field_is_rejected(api: httpx.Client) -> None:
    message = fleet_error(put_settings(api, {"fleet_server_hosts_typo": ["x"]}), 400, "RequestValidationError")
    assert "fleet_server_hosts_typo" in message


def test_settings_are_deployment_wide(api: httpx.Client) -> None:
    put_settings(api, {"kibana_ca_sha256": "ab12cd34"}, prefix="/s/team-a")
    assert put_settings(api, {}).json()["item"]["kibana_ca_sha256"] == "ab12cd34"
    assert put_settings(api, {}, prefix="/s/team-b").json()["item"]["kibana_ca_sha256"] == "ab12cd34"


# --- outputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output_id", "kind", "is_default"),
    [("fleet-default-output", "elasticsearch", True), ("remote-es-output", "remote_elasticsearch", False), ("logstash-output", "logstash", False)],
)
@pytest.mark.parametrize("prefix", ["", "/s/team-a"])
def test_seeded_outputs_are_found_by_id_in_every_space(api: httpx.Client, output_id: str, kind: str, is_default: bool, prefix: str) -> None:
    response = api.get(f"{prefix}/api/fleet/outputs/{output_id}")
    assert response.status_code == 200
    assert_conforms(OUTPUT, response)
    item = response.json()["item"]
    assert (item["id"], item["type"], item["is_default"]) == (output_id, kind, is_default)
    assert item["hosts"]


def test_fields_left_empty_are_answered_as_null(api: httpx.Client) -> None:
    # Kibana answers proxy_id, ca_sha256 and ca_trusted_fingerprint as null on outputs that set none.
    response = api.get("/api/fleet/outputs/logstash-output")
    assert_conforms(OUTPUT, response)
    item = response.json()["item"]
    assert (item["proxy_id"], item["ca_sha256"], item["ca_trusted_fingerprint"]) == (None, None, None)


def test_output_id_longer_than_kibana_allows_is_400(api: httpx.Client) -> None:
    response = api.get(f"/api/fleet/outputs/{'o' * 51}")
    assert_conforms(OUTPUT, response)
    assert "outputId" in fleet_error(response, 400, "RequestValidationError")


def test_unknown_output_is_404(api: httpx.Client) -> None:
    response = api.get("/api/fleet/outputs/no-such-output")
    assert_conforms(OUTPUT, response)
    assert fleet_error(response, 404, "OutputNotFoundError") == "Output no-such-output not found"


# --- remote synced integrations ---------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/s/team-a"])
def test_remote_status_of_a_remote_elasticsearch_output(api: httpx.Client, prefix: str) -> None:
    response = api.get(f"{prefix}/api/fleet/remote_synced_integrations/remote-es-output/remote_status")
    assert response.status_code == 200
    assert_conforms(REMOTE_STATUS, response)
    body = response.json()
    statuses = {i["package_name"]: i["sync_status"] for i in body["integrations"]}
    assert statuses == {"system": "completed", "nginx": "synchronizing", "apm": "failed"}
    failed = next(i for i in body["integrations"] if i["sync_status"] == "failed")
    assert failed["error"]
    assert {a["type"] for a in body["custom_assets"].values()} == {"component_template", "ingest_pipeline"}


def test_remote_status_of_an_unknown_output_names_it_in_a_200(api: httpx.Client) -> None:
    # Kibana's get_remote_status.ts catches the unknown output: 200, no integrations, an error naming it.
    response = api.get("/api/fleet/remote_synced_integrations/no-such-output/remote_status")
    assert_conforms(REMOTE_STATUS, response)
    assert response.status_code == 200
    assert response.json() == {"integrations": [], "error": "No output found with id no-such-output"}


@pytest.mark.parametrize("output_id", ["logstash-output", "fleet-default-output"])
def test_remote_status_of_an_output_that_is_not_remote_elasticsearch_is_400(api: httpx.Client, output_id: str) -> None:
    response = api.get(f"/api/fleet/remote_synced_integrations/{output_id}/remote_status")
    assert_conforms(REMOTE_STATUS, response)
    assert fleet_error(response, 400, "FleetError") == f"Output {output_id} is not a remote elasticsearch output"


def test_remote_status_of_an_output_without_sync_is_400(api: httpx.Client) -> None:
    response = api.get("/api/fleet/remote_synced_integrations/remote-monitoring-output/remote_status")
    assert_conforms(REMOTE_STATUS, response)
    assert fleet_error(response, 400, "FleetError") == "Synced integrations not enabled"


# --- agent data -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/s/team-a"])
def test_agent_data_has_one_entry_per_requested_agent(api: httpx.Client, prefix: str) -> None:
    ids = [AGENT_WITH_DATA, "unknown-agent", AGENT_WITHOUT_DATA]
    response = api.get(f"{prefix}/api/fleet/agent_status/data", params=[("agentsIds", i) for i in ids])
    assert response.status_code == 200
    assert_conforms(AGENT_DATA, response)
    assert response.json() == {
        "items": [{AGENT_WITH_DATA: {"data": True}}, {"unknown-agent": {"data": False}}, {AGENT_WITHOUT_DATA: {"data": False}}],
        "dataPreview": [],
    }


def test_agent_data_for_a_single_agent(api: httpx.Client) -> None:
    response = api.get("/api/fleet/agent_status/data", params={"agentsIds": AGENT_WITH_DATA})
    assert_conforms(AGENT_DATA, response)
    assert response.json()["items"] == [{AGENT_WITH_DATA: {"data": True}}]


def test_agent_data_requires_agent_ids(api: httpx.Client) -> None:
    response = api.get("/api/fleet/agent_status/data")
    assert_conforms(AGENT_DATA, response)
    assert "agentsIds" in fleet_error(response, 400, "RequestValidationError")


# --- EPM packages -----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/s/team-a"])
def test_package_list(api: httpx.Client, prefix: str) -> None:
    response = api.get(f"{prefix}/api/fleet/epm/packages")
    assert response.status_code == 200
    assert_conforms(PACKAGES, response)
    items = {p["name"]: p for p in response.json()["items"]}
    assert set(items) == {"apm", "elastic_agent", "endpoint", "fleet_server", "nginx", "system"}
    for name in ("apm", "elastic_agent", "fleet_server", "nginx", "system"):
        assert items[name]["status"] == "installed"
        assert items[name]["installationInfo"]["install_status"] == "installed"
    assert items["endpoint"]["status"] == "not_installed" and "installationInfo" not in items["endpoint"]
    assert items["nginx"]["installationInfo"]["version"] == "1.24.0" != items["nginx"]["version"]


def test_package_list_by_category(api: httpx.Client) -> None:
    response = api.get("/api/fleet/epm/packages", params={"category": "security", "prerelease": "true", "withPackagePoliciesCount": "false"})
    assert response.status_code == 200
    assert_conforms(PACKAGES, response)
    assert sorted(p["name"] for p in response.json()["items"]) == ["endpoint", "system"]


def test_package_list_refuses_an_unknown_query_parameter(api: httpx.Client) -> None:
    response = api.get("/api/fleet/epm/packages", params={"perPage": "10"})
    assert_conforms(PACKAGES, response)
    assert "perPage" in fleet_error(response, 400, "RequestValidationError")


def test_package_list_refuses_a_prerelease_that_is_not_a_boolean(api: httpx.Client) -> None:
    response = api.get("/api/fleet/epm/packages", params={"prerelease": "sometimes"})
    assert_conforms(PACKAGES, response)
    assert "prerelease" in fleet_error(response, 400, "RequestValidationError")


# --- package policies -------------------------------------------------------------


def test_unknown_package_policy_is_404(api: httpx.Client) -> None:
    response = put_policy(api, "no-such-policy", {"description": "x"})
    assert fleet_error(response, 404, "PackagePolicyNotFoundError") == "Package policy no-such-policy not found"


def test_update_replaces_the_fields_sent_and_keeps_the_others(api: httpx.Client) -> None:
    before = put_policy(api, NGINX, {}).json()["item"]
    response = put_policy(api, NGINX, {"description": "Edge proxies", "namespace": "prod", "name": "nginx-edge"})
    assert response.status_code == 200
    item = response.json()["item"]
    assert (item["description"], item["namespace"], item["name"]) == ("Edge proxies", "prod", "nginx-edge")
    for kept in ("package", "policy_ids", "policy_id", "created_at", "created_by", "inputs", "enabled", "spaceIds"):
        assert item[kept] == before[kept]
    again = put_policy(api, NGINX, {}).json()["item"]
    assert (again["description"], again["namespace"], again["name"]) == ("Edge proxies", "prod", "nginx-edge")


def test_revision_grows_by_one_on_every_update(api: httpx.Client) -> None:
    previous = put_policy(api, SYSTEM, {}).json()["item"]
    assert previous["revision"] == 4  # seeded at revision 3
    for i in range(25):
        item = put_policy(api, SYSTEM, {"description": f"update {i}"}).json()["item"]
        assert item["revision"] == previous["revision"] + 1
        assert item["updated_at"] > previous["updated_at"]
        assert seq_no(item["version"]) > seq_no(previous["version"])
        assert item["updated_by"] == USERNAME
        previous = item


def test_updated_by_is_the_caller(api: httpx.Client, mock_server: Any) -> None:
    api_key = base64.b64encode(API_KEY_ID_AND_SECRET.encode()).decode()
    with httpx.Client(base_url=mock_server.url, headers={"kbn-xsrf": "true", "authorization": f"ApiKey {api_key}"}) as client:
        response = put_policy(client, NGINX, {})
    assert response.json()["item"]["updated_by"] == "api_key_kct-test-key-id"


@pytest.mark.parametrize("query", ["", "?format=legacy"])
def test_legacy_format_gives_inputs_as_an_array_with_var_objects_and_values(api: httpx.Client, query: str) -> None:
    item = put_policy(api, NGINX, {}, query=query).json()["item"]
    assert [(i["policy_template"], i["type"]) for i in item["inputs"]] == [("nginx", "logfile"), ("nginx", "nginx/metrics")]
    stream = item["inputs"][0]["streams"][0]
    assert stream["data_stream"] == {"type": "logs", "dataset": "nginx.access"}
    assert stream["vars"]["paths"] == {"type": "text", "value": ["/var/log/nginx/access.log*"]}


def test_simplified_format_gives_inputs_as_a_map_with_values(api: httpx.Client) -> None:
    item = put_policy(api, NGINX, {}, query="?format=simplified").json()["item"]
    assert set(item["inputs"]) == {"nginx-logfile", "nginx-nginx/metrics"}
    metrics = item["inputs"]["nginx-nginx/metrics"]
    assert metrics["vars"] == {"hosts": ["http://127.0.0.1:80"]}
    assert metrics["streams"]["nginx.stubstatus"] == {"enabled": True, "vars": {"period": "10s", "server_status_path": "/nginx_status"}}


def test_simplified_request_is_stored_in_the_legacy_shape(api: httpx.Client) -> None:
    body = {
        "inputs": {
            "nginx-nginx/metrics": {"vars": {"hosts": ["http://10.1.2.3:8080"]}},
            "nginx-logfile": {"streams": {"nginx.error": {"enabled": False, "vars": {"paths": ["/srv/nginx/error.log"]}}}},
        }
    }
    response = put_policy(api, NGINX, simplified_body(body))
    assert response.status_code == 200
    legacy = response.json()["item"]["inputs"]
    assert isinstance(legacy, list)
    error_stream = next(s for s in legacy[0]["streams"] if s["data_stream"]["dataset"] == "nginx.error")
    assert error_stream["enabled"] is False
    simplified = put_policy(api, NGINX, {}, query="?format=simplified").json()["item"]["inputs"]
    assert simplified["nginx-nginx/metrics"]["vars"]["hosts"] == ["http://10.1.2.3:8080"]
    assert simplified["nginx-logfile"]["streams"]["nginx.error"] == {"enabled": False, "vars": {"paths": ["/srv/nginx/error.log"], "tags": ["nginx-error"], "preserve_original_event": False}}
    assert simplified["nginx-logfile"]["streams"]["nginx.access"]["enabled"] is True


def test_simplified_request_enables_the_inputs_it_names(api: httpx.Client) -> None:
    """As in Kibana: a named input or stream is enabled unless it says enabled: false."""
    body = {"inputs": {"system-winlog": {"streams": {"system.security": {}}}, "system-logfile": {"enabled": False}}}
    inputs = put_policy(api, SYSTEM, simplified_body(body, SYSTEM), query="?format=simplified").json()["item"]["inputs"]
    assert inputs["system-winlog"]["enabled"] is True  # seeded disabled
    assert inputs["system-winlog"]["streams"]["system.security"]["enabled"] is True
    assert inputs["system-logfile"]["enabled"] is False
    assert inputs["system-system/metrics"]["enabled"] is True


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"nginx-httpjson": {"enabled": True}}, "Input not found: nginx-httpjson"),
        ({"nginx-logfile": {"streams": {"nginx.ingress": {"enabled": True}}}}, "Stream not found nginx-logfile: nginx.ingress"),
        ({"nginx-nginx/metrics": {"vars": {"timeout": "5s"}}}, "Variable nginx-nginx/metrics:timeout not found"),
        ({"nginx-logfile": {"streams": {"nginx.access": {"vars": {"exclude_files": [".gz$"]}}}}}, "Variable nginx-logfile nginx.access:exclude_files not found"),
    ],
)
def test_simplified_request_naming_unknown_parts_is_400(api: httpx.Client, inputs: dict[str, Any], message: str) -> None:
    response = put_policy(api, NGINX, simplified_body({"inputs": inputs}))
    assert fleet_error(response, 400, "PackagePolicyValidationError") == message
    assert put_policy(api, NGINX, {}).json()["item"]["revision"] == 2  # the failed update changed nothing


def test_legacy_request_replaces_inputs_with_the_vars_it_sends(api: httpx.Client) -> None:
    """As in Kibana: the inputs a legacy body sends are stored as sent, var values included."""
    inputs = put_policy(api, NGINX, {}).json()["item"]["inputs"]
    logfile = inputs[0]
    logfile["streams"] = [s for s in logfile["streams"] if s["data_stream"]["dataset"] == "nginx.access"]
    logfile["streams"][0]["enabled"] = False
    logfile["streams"][0].pop("id")
    logfile["streams"][0]["vars"]["paths"]["value"] = ["/srv/nginx/access.log"]
    del logfile["streams"][0]["vars"]["tags"]["value"]  # a var sent without its value loses it
    response = put_policy(api, NGINX, {"inputs": [logfile]})
    assert response.status_code == 200
    stored = response.json()["item"]["inputs"]
    assert len(stored) == 1 and stored[0]["streams"][0]["id"] == f"logfile-nginx.access-{NGINX}"
    assert stored[0]["streams"][0]["vars"]["tags"] == {"type": "text"}
    as_map = put_policy(api, NGINX, {}, query="?format=simplified").json()["item"]["inputs"]
    assert list(as_map) == ["nginx-logfile"]
    assert as_map["nginx-logfile"]["streams"] == {"nginx.access": {"enabled": False, "vars": {"paths": ["/srv/nginx/access.log"], "preserve_original_event": False}}}


def test_top_level_vars_follow_the_response_format(api: httpx.Client) -> None:
    sent = {"data_stream.dataset": {"type": "text", "frozen": True, "value": "nginx.edge"}}
    assert put_policy(api, NGINX, {"vars": sent}).json()["item"]["vars"] == sent
    assert put_policy(api, NGINX, {}, query="?format=simplified").json()["item"]["vars"] == {"data_stream.dataset": "nginx.edge"}
    state = api.get("/_mock/state").json()
    stored = state["spaces"]["default"]["fleet"]["package_policies"][NGINX]["vars"]["data_stream.dataset"]
    stored["value"] = {"dataset": "nginx.custom", "package": "nginx"}  # Kibana's internal form of this var
    api.put("/_mock/state", json=state).raise_for_status()
    assert put_policy(api, NGINX, {}, query="?format=simplified").json()["item"]["vars"] == {"data_stream.dataset": "nginx.custom"}
    without_value = {"data_stream.dataset": {"type": "text", "frozen": True}}
    assert put_policy(api, NGINX, {"vars": without_value}).json()["item"]["vars"] == without_value  # replaced as sent
    assert put_policy(api, NGINX, {}, query="?format=simplified").json()["item"]["vars"] == {}


@pytest.mark.parametrize("value", [{}, {"id": "secret-1"}, {"id": 7, "isSecretRef": True}, [1, "a"], [{"a": 1}]])
def test_legacy_var_value_no_var_type_takes_is_400(api: httpx.Client, value: Any) -> None:
    """A var value that is none of Kibana's var value shapes (an empty object is not a secret reference)."""
    response = put_policy(api, NGINX, {"vars": {"data_stream.dataset": {"type": "text", "value": value}}})
    assert fleet_error(response, 400, "PackagePolicyValidationError") == "Invalid value for variable :data_stream.dataset"


def test_legacy_var_value_may_be_a_secret_reference(api: httpx.Client) -> None:
    reference = {"id": "secret-1", "isSecretRef": True}
    response = put_policy(api, NGINX, {"vars": {"data_stream.dataset": {"type": "password", "value": reference}}})
    assert response.status_code == 200 and response.json()["item"]["vars"]["data_stream.dataset"]["value"] == reference


def test_simplified_top_level_vars_set_values(api: httpx.Client) -> None:
    put_policy(api, NGINX, {"vars": {"data_stream.dataset": {"type": "text"}}})
    body = simplified_body({"inputs": {}, "vars": {"data_stream.dataset": "nginx.edge"}})
    assert put_policy(api, NGINX, body).json()["item"]["vars"] == {"data_stream.dataset": {"type": "text", "value": "nginx.edge"}}
    unknown = put_policy(api, NGINX, simplified_body({"inputs": {}, "vars": {"timeout": "5s"}}))
    assert fleet_error(unknown, 400, "PackagePolicyValidationError") == "Variable :timeout not found"


def test_policy_ids_sets_the_deprecated_policy_id(api: httpx.Client) -> None:
    item = put_policy(api, NGINX, {"policy_ids": ["agent-policy-b", "agent-policy-c"]}).json()["item"]
    assert item["policy_id"] == "agent-policy-b"
    item = put_policy(api, NGINX, {"policy_id": "agent-policy-d"}).json()["item"]
    assert item["policy_ids"] == ["agent-policy-d"]


def test_an_update_that_says_managed_needs_force(api: httpx.Client) -> None:
    # Kibana's update() checks the is_managed the body sends, not the stored flag.
    response = put_policy(api, FLEET_SERVER, {"description": "x", "is_managed": True})
    assert fleet_error(response, 400, "PackagePolicyRestrictionRelatedError").startswith(f"Cannot update package policy {FLEET_SERVER} in Fleet")
    forced = put_policy(api, FLEET_SERVER, {"description": "x", "is_managed": True, "force": True})
    assert forced.status_code == 200
    assert forced.json()["item"]["revision"] == 2 and "force" not in forced.json()["item"]
    assert put_policy(api, FLEET_SERVER, {"description": "y"}).status_code == 200


def test_name_taken_by_another_policy_is_409(api: httpx.Client) -> None:
    response = put_policy(api, NGINX, {"name": "system-1"})
    assert "system-1" in fleet_error(response, 409, "PackagePolicyNameExistsError")


def test_version_guards_against_concurrent_updates(api: httpx.Client) -> None:
    current = put_policy(api, NGINX, {}).json()["item"]["version"]
    assert put_policy(api, NGINX, {"description": "a", "version": current}).status_code == 200
    stale = put_policy(api, NGINX, {"description": "b", "version": current})
    assert stale.status_code == 409
    assert stale.json()["message"] == f"Saved object [ingest-package-policies/{NGINX}] conflict"
    invalid = put_policy(api, NGINX, {"version": "string"})
    assert invalid.status_code == 400 and invalid.json()["message"] == "Invalid version [string]: Bad Request"


@pytest.mark.parametrize(
    "body",
    [{"id": "other-id", "force": True}, {"supports_cloud_connector": True}, {"description": "x", "inputs": [], "keep": 1}],
    ids=["id-without-the-simplified-shape", "unknown-key", "unknown-key-beside-known-ones"],
)
def test_keys_neither_body_shape_has_are_refused(api: httpx.Client, body: dict[str, Any]) -> None:
    """Kibana validates both body shapes with config-schema objects, which refuse unknown keys."""
    response = put_policy(api, NGINX, body)
    assert fleet_error(response, 400, "RequestValidationError").startswith("[request body]")
    assert put_policy(api, NGINX, {}).json()["item"]["revision"] == 2  # the refused update changed nothing


def test_package_policies_belong_to_a_space(api: httpx.Client) -> None:
    for _ in range(3):
        a = put_policy(api, NGINX, {"description": "space a"}, prefix="/s/space-a").json()["item"]
    assert a["revision"] == 4 and a["spaceIds"] == ["space-a"]
    b = put_policy(api, NGINX, {}, prefix="/s/space-b").json()["item"]
    assert b["revision"] == 2 and b["description"] == "" and b["spaceIds"] == ["space-b"]
    default = put_policy(api, NGINX, {}).json()["item"]
    assert default["revision"] == 2 and default["spaceIds"] == ["default"]
