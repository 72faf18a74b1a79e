"""Privilege Monitoring health and the entity store engines, per space."""

from __future__ import annotations

import httpx

from ..helpers import assert_conforms

HEALTH_OP = "get-entity-analytics-monitoring-privileges-health"
HEALTH_URL = "/api/entity_analytics/monitoring/privileges/health"
ENGINES_OP = "get-entity-store-engines"
ENGINES_URL = "/api/entity_store/engines"
ENGINE_SETTINGS = ("delay", "docsPerSecond", "fieldHistoryLength", "filter", "frequency", "indexPattern", "lookbackPeriod", "timeout", "timestampField")


def test_privilege_monitoring_health_is_ok(api: httpx.Client) -> None:
    response = api.get(HEALTH_URL)
    assert response.status_code == 200
    assert_conforms(HEALTH_OP, response)
    assert response.json()["ok"] is True


def test_engines_are_host_and_user_and_count_matches(api: httpx.Client) -> None:
    response = api.get(ENGINES_URL)
    assert response.status_code == 200
    assert_conforms(ENGINES_OP, response)
    body = response.json()
    assert sorted(engine["type"] for engine in body["engines"]) == ["host", "user"]
    assert body["count"] == len(body["engines"]) == 2


def test_engines_carry_the_documented_fields(api: httpx.Client) -> None:
    for engine in api.get(ENGINES_URL).json()["engines"]:
        assert engine["status"] == "started"
        assert set(ENGINE_SETTINGS) <= set(engine)
        assert "error" not in engine  # only an engine in error carries one


def test_unauthenticated_is_401(anonymous: httpx.Client) -> None:
    for op, url in ((HEALTH_OP, HEALTH_URL), (ENGINES_OP, ENGINES_URL)):
        response = anonymous.get(url)
        assert response.status_code == 401
        assert_conforms(op, response)


def test_same_calls_work_in_a_space(api: httpx.Client) -> None:
    health = api.get(f"/s/secops{HEALTH_URL}")
    assert health.status_code == 200
    assert_conforms(HEALTH_OP, health)
    engines = api.get(f"/s/secops{ENGINES_URL}")
    assert engines.status_code == 200
    assert_conforms(ENGINES_OP, engines)
    assert engines.json()["count"] == 2


def test_engines_and_health_are_per_space(api: httpx.Client) -> None:
    api.get(f"/s/secops{ENGINES_URL}")
    state = api.get("/_mock/state").json()
    secops = state["spaces"]["secops"]["entity_analytics"]
    secops["entity_store"]["engines"] = [e for e in secops["entity_store"]["engines"] if e["type"] == "user"]
    secops["privilege_monitoring"] = {"ok": False}
    api.put("/_mock/state", json=state).raise_for_status()
    in_space = api.get(f"/s/secops{ENGINES_URL}").json()
    assert (in_space["count"], [e["type"] for e in in_space["engines"]]) == (1, ["user"])
    assert api.get(f"/s/secops{HEALTH_URL}").json() == {"ok": False}
    assert api.get(ENGINES_URL).json()["count"] == 2
    assert api.get(HEALTH_URL).json()["ok"] is True
