"""The mock's platform behaviour: auth, XSRF, API versions, validation, routing, spaces, control plane."""

from __future__ import annotations

import copy

import base64
import json

from typing import Any

import httpx
import pytest

from ..helpers import API_KEY_ID_AND_SECRET, PASSWORD, USERNAME, assert_conforms

AGENT_KEYS = "/api/apm/agent_keys"
GOOD_KEY = {"name": "kct-key", "privileges": ["event:write"]}
PREPACKAGED = "/api/detection_engine/rules/prepackaged/_status"
UNAUTHORIZED = {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}
XSRF_MISSING = {"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."}


def api_key_header(id_and_secret: str) -> dict[str, str]:
    return {"Authorization": "ApiKey " + base64.b64encode(id_and_secret.encode()).decode()}


class TestAuthentication:
    def test_missing_credentials_get_the_401_envelope(self, anonymous: httpx.Client) -> None:
        response = anonymous.get(PREPACKAGED)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
        assert "Basic" in response.headers["www-authenticate"]

    def test_wrong_password_gets_401_naming_the_user(self, anonymous: httpx.Client) -> None:
        response = anonymous.get(PREPACKAGED, auth=(USERNAME, "wrong"))
        assert response.status_code == 401
        body = response.json()
        assert body["statusCode"] == 401 and body["error"] == "Unauthorized"
        assert f"unable to authenticate user [{USERNAME}]" in body["message"]
        assert "wrong" not in response.text

    @pytest.mark.parametrize(
        "header",
        ["Basic", "Basic !!!not-base64", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc", "ApiKey", "Negotiate xyz"],
    )
    def test_malformed_authorization_gets_401(self, anonymous: httpx.Client, header: str) -> None:
        response = anonymous.get(PREPACKAGED, headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json()["statusCode"] == 401

    def test_configured_api_key_is_accepted_encoded(self, anonymous: httpx.Client) -> None:
        assert anonymous.get(PREPACKAGED, headers=api_key_header(API_KEY_ID_AND_SECRET)).status_code == 200

    def test_unknown_api_key_gets_401(self, anonymous: httpx.Client) -> None:
        response = anonymous.get(PREPACKAGED, headers=api_key_header("other-id:other-secret"))
        assert response.status_code == 401
        assert response.json()["error"] == "Unauthorized"

    def test_auth_comes_before_xsrf(self, mock_server: object) -> None:
        response = httpx.post(f"{mock_server.url}{AGENT_KEYS}", json=GOOD_KEY)  # type: ignore[attr-defined]
        assert response.status_code == 401

    def test_rejected_request_changes_nothing(self, api: httpx.Client, anonymous: httpx.Client) -> None:
        before = api.get("/_mock/state").json()
        anonymous.post(AGENT_KEYS, json=GOOD_KEY, auth=(USERNAME, "wrong"))
        anonymous.post(AGENT_KEYS, json=GOOD_KEY)
        assert api.get("/_mock/state").json() == before


class TestXsrf:
    def test_write_without_kbn_xsrf_gets_the_exact_message(self, mock_server: object) -> None:
        response = httpx.post(f"{mock_server.url}{AGENT_KEYS}", json=GOOD_KEY, auth=(USERNAME, PASSWORD))  # type: ignore[attr-defined]
        assert response.status_code == 400
        assert response.json() == XSRF_MISSING

    @pytest.mark.parametrize("value", ["true", "", "anything at all", "false"])
    def test_any_kbn_xsrf_value_is_accepted(self, api: httpx.Client, value: str) -> None:
        response = api.post(AGENT_KEYS, json=GOOD_KEY, headers={"kbn-xsrf": value})
        assert response.status_code == 200

    def test_get_needs_no_kbn_xsrf(self, mock_server: object) -> None:
        response = httpx.get(f"{mock_server.url}{PREPACKAGED}", auth=(USERNAME, PASSWORD))  # type: ignore[attr-defined]
        assert response.status_code == 200


class TestOrder:
    """Kibana's order: authentication, then kbn-xsrf, then the API version, then validation."""

    def test_xsrf_comes_before_the_version(self, mock_server: object) -> None:
        response = httpx.post(  # no kbn-xsrf, a malformed version, an invalid body
            f"{mock_server.url}{AGENT_KEYS}", json={"name": 1}, auth=(USERNAME, PASSWORD), headers={"elastic-api-version": "bad"}  # type: ignore[attr-defined]
        )
        assert response.json() == XSRF_MISSING

    def test_version_comes_before_validation(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, json={"name": 1}, headers={"elastic-api-version": "bad"})
        assert response.json()["message"].startswith('Invalid version. Received "bad"')


class TestApiVersion:
    def test_missing_version_uses_the_default(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, json=GOOD_KEY)
        assert response.status_code == 200
        assert response.headers["elastic-api-version"] == "2023-10-31"

    def test_an_empty_version_is_no_version(self, api: httpx.Client) -> None:
        """As in Kibana: the versioned router reads the header with a truthiness test (route_version_utils.ts)."""
        response = api.post(AGENT_KEYS, json=GOOD_KEY, headers={"elastic-api-version": ""})
        assert response.status_code == 200
        assert response.headers["elastic-api-version"] == "2023-10-31"

    @pytest.mark.parametrize("version", ["2023-10", "banana", "2023/10/31", "20231031", "2023-10-31T00:00:00Z"])
    def test_malformed_version_is_rejected(self, api: httpx.Client, version: str) -> None:
        response = api.post(AGENT_KEYS, json=GOOD_KEY, headers={"elastic-api-version": version})
        assert response.status_code == 400
        assert response.json()["message"] == (
            f'Invalid version. Received "{version}", expected a valid date string formatted as YYYY-MM-DD.'
        )

    def test_unknown_version_is_rejected(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, json=GOOD_KEY, headers={"elastic-api-version": "2024-01-01"})
        assert response.status_code == 400
        assert response.json()["message"] == (
            'No version "2024-01-01" available for [post] [/api/apm/agent_keys]. Available versions are: [2023-10-31]'
        )

    def test_validation_errors_carry_the_version_header(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, json={"name": 1, "privileges": ["event:write"]})
        assert response.status_code == 400
        assert response.headers["elastic-api-version"] == "2023-10-31"


class TestValidationAndBodies:
    def test_wrong_type_names_the_location(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, json={"name": 42, "privileges": ["event:write"]})
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "[request body.name]: expected value of type [string] but got [number]",
        }

    def test_security_solution_routes_answer_in_zod_style(self, api: httpx.Client) -> None:
        response = api.put("/api/exception_lists/items", json={"item_id": 5})
        assert response.status_code == 400
        assert response.json()["message"].startswith("[request body]: ")
        assert "item_id: Expected string, received number" in response.json()["message"]

    def test_fleet_validation_errors_carry_error_type(self, api: httpx.Client) -> None:
        response = api.put("/api/fleet/settings", json={"has_seen_add_data_notice": "yes"})
        assert response.status_code == 400
        assert response.json()["errorType"]
        assert response.json()["message"].startswith("[request body.has_seen_add_data_notice]")

    def test_malformed_json_is_400(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, content=b'{"name": ', headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert response.json()["message"] == "Invalid request payload JSON format"

    def test_wrong_content_type_is_415(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, content=json.dumps(GOOD_KEY), headers={"content-type": "text/plain"})
        assert response.status_code == 415
        assert response.json() == {"statusCode": 415, "error": "Unsupported Media Type", "message": "Unsupported Media Type"}

    def test_oversized_body_is_413(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, content=b"[" + b"1," * 600_000 + b"1]", headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert response.json()["statusCode"] == 413

    def test_deeply_nested_json_is_a_clean_400(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"})
        assert response.status_code == 400

    def test_invalid_utf8_is_a_clean_400(self, api: httpx.Client) -> None:
        response = api.post(AGENT_KEYS, content=b'{"name": "\xff\xfe", "privileges": []}', headers={"content-type": "application/json"})
        assert response.status_code == 400

    def test_unknown_query_parameter_is_rejected_on_config_schema_routes(self, api: httpx.Client) -> None:
        response = api.get("/api/fleet/epm/packages", params={"bogus": "1"})
        assert response.status_code == 400
        assert "[request query.bogus]: definition for this key is missing" in response.json()["message"]


class TestRouting:
    @pytest.mark.parametrize("path", ["/", "/api", "/api/nothing/here", "/app/kibana", "/s/UPPER/api/apm/agent_keys", "/s//api/x"])
    def test_unknown_paths_are_404_with_the_envelope(self, api: httpx.Client, path: str) -> None:
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Not Found"}

    def test_undocumented_method_on_a_known_path_is_404(self, api: httpx.Client) -> None:
        response = api.delete("/api/fleet/settings")
        assert response.status_code == 404
        assert response.json()["statusCode"] == 404

    def test_head_is_answered_like_get_without_a_body(self, api: httpx.Client) -> None:
        response = api.head(PREPACKAGED)
        assert response.status_code == 200 and response.content == b""

    def test_space_prefix_routes_to_the_same_operation(self, api: httpx.Client) -> None:
        response = api.post(f"/s/team-a{AGENT_KEYS}", json=GOOD_KEY)
        assert response.status_code == 200
        assert_conforms("post-apm-agent-keys", response)


class TestControlPlane:
    def test_control_plane_is_authenticated(self, anonymous: httpx.Client) -> None:
        for method, path in [("POST", "/_mock/reset"), ("GET", "/_mock/state"), ("PUT", "/_mock/state")]:
            assert anonymous.request(method, path).status_code == 401

    def test_dump_load_round_trip(self, api: httpx.Client) -> None:
        api.post(AGENT_KEYS, json=GOOD_KEY).raise_for_status()
        saved = api.get("/_mock/state").json()
        api.post("/_mock/reset").raise_for_status()
        assert api.get("/_mock/state").json() != saved
        assert api.put("/_mock/state", json=saved).status_code == 200
        assert api.get("/_mock/state").json() == saved

    def test_reset_restores_the_seeded_state(self, api: httpx.Client) -> None:
        seeded = api.get("/_mock/state").json()
        api.post(AGENT_KEYS, json=GOOD_KEY).raise_for_status()
        api.post("/_mock/reset").raise_for_status()
        assert api.get("/_mock/state").json() == seeded

    @pytest.mark.parametrize(
        "document", [b"not json", b"[]", b'{"spaces": {"BAD SPACE": {}}}', b'{"spaces": {"a": {"nope": {}}}}', b'{"extra": 1}']
    )
    def test_loading_a_bad_state_is_a_clear_400(self, api: httpx.Client, document: bytes) -> None:
        before = api.get("/_mock/state").json()
        response = api.put("/_mock/state", content=document, headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert response.json()["message"].startswith("cannot load state:")
        assert api.get("/_mock/state").json() == before

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda st: st["shared"]["fleet"].update(settings="on"), "shared.fleet.settings: expected object, got string"),
            (lambda st: st["shared"]["fleet"].update(seq_no="7"), "shared.fleet.seq_no: expected number, got string"),
            (lambda st: st["shared"]["fleet"].pop("outputs"), "shared.fleet: 'outputs' is missing"),
            (lambda st: st["spaces"]["default"]["cases"].update(configurations={}), "spaces.default.cases.configurations: expected array, got object"),
            (lambda st: st["spaces"]["default"]["fleet"]["package_policies"].update(x=[]), "package_policies['x']: expected an object, got array"),
            (lambda st: next(iter(st["spaces"]["default"]["fleet"]["package_policies"].values())).pop("revision"), "'revision' is missing"),
            (lambda st: next(iter(st["spaces"]["default"]["fleet"]["package_policies"].values())).update(revision="2"), ".revision: expected number, got string"),
            (lambda st: st["spaces"].update({f"s{n}": {} for n in range(2000)}), "at most 100 spaces, got 2001"),
        ],
        ids=["record-as-string", "counter-as-string", "collection-missing", "list-as-object", "record-as-list", "field-missing", "field-mistyped", "too-many-spaces"],
    )
    def test_a_state_of_the_wrong_shape_is_a_clear_400(self, api: httpx.Client, change: Any, message: str) -> None:
        """Loaded state the handlers cannot read would turn every later request into a 500: refused instead."""
        before = api.get("/_mock/state").json()
        document = copy.deepcopy(before)
        change(document)
        response = api.put("/_mock/state", json=document)
        assert response.status_code == 400, response.text
        assert message in response.json()["message"]
        assert api.get("/_mock/state").json() == before
        assert api.put("/api/fleet/settings", json={}).status_code == 200

    def test_spaces_a_state_names_empty_are_seeded_when_used(self, api: httpx.Client) -> None:
        """Spaces a document names cost their seeds only when first used (a dump of 100 empty spaces)."""
        areas = set(api.get("/_mock/state").json()["spaces"]["default"])
        document = {"spaces": {f"s{n}": {} for n in range(100)}, "shared": {}}
        response = api.put("/_mock/state", json=document)
        assert response.status_code == 200
        assert set(api.get("/_mock/state").json()["spaces"]["s42"]) == areas
        configurations = api.get("/s/s42/api/cases/configure")
        assert configurations.status_code == 200 and configurations.json()

    def test_unknown_control_endpoint_is_404(self, api: httpx.Client) -> None:
        assert api.get("/_mock/nothing").status_code == 404


class TestStatus:
    def test_status_names_the_version_and_needs_credentials(self, api: httpx.Client, anonymous: httpx.Client) -> None:
        assert anonymous.get("/api/status").status_code == 401
        body = api.get("/api/status").json()
        assert body["version"]["number"] and body["status"]["overall"]["level"] == "available"


class TestStats:
    def test_stats_count_the_api_answers_by_status(self, mock_server: object, api: httpx.Client) -> None:
        before = api.get("/_mock/stats").json()
        api.get(PREPACKAGED)
        api.post(AGENT_KEYS, json={"name": 1})
        after = api.get("/_mock/stats").json()
        assert after["requests"] - before["requests"] == 2
        assert after["by_status"]["400"] - before["by_status"].get("400", 0) == 1
